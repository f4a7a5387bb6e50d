/**
 * The Rust crate's BertNormalizer (normalizers/bert.rs), which tokenizers.js 0.2 gets subtly wrong:
 * it lowercases before stripping accents, lowercases whole strings (so a final capital sigma becomes ς,
 * where Rust maps each character alone to σ), walks UTF-16 units (missing CJK extension B-F ideographs)
 * and keeps unassigned code points (Rust drops every "other" category: Cc, Cf, Cs, Co, Cn).
 */
export interface BertNormalizerConfig {
  clean_text?: boolean;
  handle_chinese_chars?: boolean;
  strip_accents?: boolean | null;
  lowercase?: boolean;
}

const OTHER = /\p{C}/u;
const WHITESPACE = /\p{White_Space}/u;
const NONSPACING_MARK = /\p{Mn}/gu;

export function isChineseChar(codePoint: number): boolean {
  return (codePoint >= 0x4e00 && codePoint <= 0x9fff)
    || (codePoint >= 0x3400 && codePoint <= 0x4dbf)
    || (codePoint >= 0x20000 && codePoint <= 0x2a6df)
    || (codePoint >= 0x2a700 && codePoint <= 0x2b73f)
    || (codePoint >= 0x2b740 && codePoint <= 0x2b81f)
    || (codePoint >= 0x2b920 && codePoint <= 0x2ceaf)
    || (codePoint >= 0xf900 && codePoint <= 0xfaff)
    || (codePoint >= 0x2f800 && codePoint <= 0x2fa1f);
}

function cleanText(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\t' || ch === '\n' || ch === '\r') { out += ' '; continue; }
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || OTHER.test(ch)) continue;
    out += WHITESPACE.test(ch) ? ' ' : ch;
  }
  return out;
}

function spaceChineseChars(text: string): string {
  let out = '';
  for (const ch of text) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return out;
}

export function bertNormalize(text: string, config: BertNormalizerConfig): string {
  const lowercase = config.lowercase ?? true;
  if (config.clean_text ?? true) text = cleanText(text);
  if (config.handle_chinese_chars ?? true) text = spaceChineseChars(text);
  if (config.strip_accents ?? lowercase) text = text.normalize('NFD').replace(NONSPACING_MARK, '');
  if (lowercase) text = Array.from(text, (ch) => ch.toLowerCase()).join('');
  return text;
}
