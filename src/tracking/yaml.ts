/**
 * The flat YAML mappings MLflow keeps in meta.yaml files (written with PyYAML's safe_dump,
 * keys sorted, block style): scalars, null and the empty list `tags: []`.
 */
export type FlatYamlValue = string | number | boolean | null | [];

const YAML_WORDS = /^(y|n|yes|no|on|off|true|false|null|~)$/i;

function yamlString(value: string): string {
  const plain = /^[A-Za-z/][A-Za-z0-9_\-./:@+]*$/.test(value) && !YAML_WORDS.test(value) && !value.includes(': ');
  if (plain) return value;
  // Printable one-line strings go single-quoted (quotes doubled); anything else double-quoted with JSON escapes.
  if (/^[\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/.test(value)) return `'${value.replaceAll("'", "''")}'`;
  return JSON.stringify(value);
}

/** A flat mapping as PyYAML's safe_dump(default_flow_style=False, sort_keys=True) lays it out. */
export function dumpFlatYaml(data: Record<string, FlatYamlValue>): string {
  const lines = Object.keys(data)
    .sort()
    .map((key) => {
      const value = data[key];
      let text: string;
      if (value === null) text = 'null';
      else if (Array.isArray(value)) text = '[]';
      else if (typeof value === 'number') {
        if (!Number.isSafeInteger(value)) throw new Error(`meta.yaml field ${key} must be an integer, got ${value}`);
        text = String(value);
      } else if (typeof value === 'boolean') text = value ? 'true' : 'false';
      else text = yamlString(value);
      return `${key}: ${text}`;
    });
  return `${lines.join('\n')}\n`;
}

function resolvePlain(text: string): FlatYamlValue {
  if (text === '' || text === '~' || /^(null|Null|NULL)$/.test(text)) return null;
  if (/^(true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(text)) return true;
  if (/^(false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(text)) return false;
  if (/^[-+]?(0|[1-9][0-9_]*)$/.test(text)) return Number(text.replaceAll('_', ''));
  if (text === '[]') return [];
  return text;
}

function unquote(text: string, where: string): string {
  if (text.startsWith("'")) {
    if (!/^'([^']|'')*'$/.test(text)) throw new Error(`${where}: unterminated single-quoted string`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  try {
    return JSON.parse(text) as string;
  } catch {
    throw new Error(`${where}: a double-quoted string this reader does not understand: ${text}`);
  }
}

/**
 * Reads a flat meta.yaml. Continuation lines (PyYAML folds long scalars at 80 columns) are joined
 * with a space, as YAML does. Anything else (nested mappings, non-empty lists) is an error.
 */
export function parseFlatYaml(text: string, name = 'meta.yaml'): Record<string, FlatYamlValue> {
  const entries: [string, string, number][] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    if (/^\s/.test(line)) {
      if (entries.length === 0) throw new Error(`${name} line ${index + 1}: indented line before any key`);
      const last = entries[entries.length - 1];
      last[1] = `${last[1]} ${line.trim()}`;
      return;
    }
    const match = /^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/.exec(line);
    if (!match) throw new Error(`${name} line ${index + 1}: expected 'key: value', got '${line}'`);
    entries.push([match[1], (match[2] ?? '').trim(), index + 1]);
  });
  const result: Record<string, FlatYamlValue> = {};
  for (const [key, raw, line] of entries) {
    if (key in result) throw new Error(`${name} line ${line}: duplicate key ${key}`);
    const where = `${name} line ${line}`;
    if (raw.startsWith("'") || raw.startsWith('"')) result[key] = unquote(raw, where);
    else if (raw.startsWith('[') && raw !== '[]') throw new Error(`${where}: only the empty list [] is expected in a meta.yaml`);
    else if (raw.startsWith('{') || raw.startsWith('- ') || raw === '-') throw new Error(`${where}: nested values are not expected in a meta.yaml`);
    else result[key] = resolvePlain(raw);
  }
  return result;
}
