// The original XNLI-1.0 release (xnli.dev.tsv, xnli.test.tsv: every language in one file, with `language`,
// `gold_label`, `sentence1`, `sentence2` columns) and XNLI-MT's translated training files (`premise`, `hypo`,
// `label`, where contradiction is spelled "contradictory"). Tab-separated without quoting, as the `datasets`
// loader reads them (csv.QUOTE_NONE): quotes inside sentences are literal.
import type { NliRow } from './xnli-facts.ts';

const LABELS: Record<string, number> = { entailment: 0, neutral: 1, contradiction: 2, contradictory: 2 };

export function readXnliTsv(text: string, fileName: string, language?: string): NliRow[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split('\t');
  const column = (...names: string[]) => names.map((n) => header.indexOf(n)).find((i) => i >= 0) ?? -1;
  const languageColumn = column('language');
  const labelColumn = column('gold_label', 'label');
  const premiseColumn = column('sentence1', 'premise');
  const hypothesisColumn = column('sentence2', 'hypo', 'hypothesis');
  if (labelColumn < 0 || premiseColumn < 0 || hypothesisColumn < 0) {
    throw new Error(`${fileName} is not an XNLI TSV file: its header needs gold_label, sentence1, sentence2 (XNLI-1.0) or premise, hypo, label (XNLI-MT); it has ${header.slice(0, 8).join(', ')}.`);
  }
  if (languageColumn >= 0 && !language) {
    const languages = new Set(lines.slice(1, 2000).map((l) => l.split('\t')[languageColumn]).filter(Boolean));
    if (languages.size > 1) throw new Error(`${fileName} holds several languages (${[...languages].sort().join(', ')}); say which one to read.`);
  }
  const rows: NliRow[] = [];
  const languagesSeen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = line.split('\t');
    if (languageColumn >= 0) {
      const rowLanguage = fields[languageColumn] ?? '';
      languagesSeen.add(rowLanguage);
      if (language && rowLanguage !== language) continue;
    }
    const labelName = (fields[labelColumn] ?? '').trim();
    const label = LABELS[labelName];
    if (label === undefined) throw new Error(`${fileName} line ${i + 1}: label "${labelName}" is not entailment, neutral or contradiction.`);
    const premise = fields[premiseColumn];
    const hypothesis = fields[hypothesisColumn];
    if (premise === undefined || hypothesis === undefined) throw new Error(`${fileName} line ${i + 1}: has ${fields.length} tab-separated fields, fewer than the header's ${header.length}.`);
    rows.push({ premise, hypothesis, label });
  }
  if (language && languageColumn >= 0 && rows.length === 0) {
    throw new Error(`${fileName} has no rows in language "${language}"; it has ${[...languagesSeen].sort().join(', ') || 'none'}.`);
  }
  return rows;
}
