// The CSV form of the policy: a header line `network,proto,ports,action,owner,note` (`ip` may stand
// for `network`; owner and note may be left out), one rule per line, '#' lines are comments.
// Each problem names the line it stands on.
import { parse, CsvError } from 'csv-parse/sync';
import { checkRule, REQUIRED_FIELDS, RULE_FIELDS, type PolicyRule } from './policy-rules';

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

function readHeader(cells: string[], line: number, problems: string[]): string[] | null {
  const names = cells.map((c) => c.trim().toLowerCase());
  const before = problems.length;
  names.forEach((n, i) => {
    if (!RULE_FIELDS.includes(n)) problems.push(`line ${line}: unknown column '${cells[i]}'; the columns are ${RULE_FIELDS.join(', ')}`);
    else if (names.indexOf(n) !== i) problems.push(`line ${line}: column '${n}' appears twice`);
  });
  if (names.includes('network') && names.includes('ip')) problems.push(`line ${line}: columns network and ip mean the same; keep one`);
  if (!names.includes('network') && !names.includes('ip')) problems.push(`line ${line}: missing column 'network' (or 'ip')`);
  for (const f of REQUIRED_FIELDS) if (!names.includes(f)) problems.push(`line ${line}: missing column '${f}'`);
  return problems.length > before ? null : names;
}

export function readCsvPolicy(text: string, problems: string[]): PolicyRule[] {
  let records: CsvRecord[];
  try {
    records = parse(text, { bom: true, comment: '#', comment_no_infix: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as CsvRecord[];
  } catch (e) {
    const line = e instanceof CsvError && (e as CsvError & { lines?: number }).lines;
    problems.push(`${line ? `line ${line}: ` : ''}CSV: ${(e as Error).message}`);
    return [];
  }
  // Rows that are only blanks and commas ("  ,,,") are empty lines too.
  records = records.filter((r) => r.record.some((c) => c.trim() !== ''));
  if (records.length === 0) {
    problems.push(`line 1: no header line; start with ${RULE_FIELDS.filter((f) => f !== 'ip').join(',')}`);
    return [];
  }
  const header = readHeader(records[0].record, records[0].info.lines, problems);
  if (!header) return [];
  if (records.length === 1) problems.push(`line ${records[0].info.lines}: the header has no rules below it`);

  const rules: PolicyRule[] = [];
  records.slice(1).forEach(({ record, info }, i) => {
    const where = `line ${info.lines}`;
    if (record.length > header.length) {
      problems.push(`${where}: ${record.length} fields but the header has ${header.length}; quote a field that holds a comma`);
      return;
    }
    const raw = Object.fromEntries(header.map((h, c) => [h, record[c]?.trim() || undefined]));
    const rule = checkRule(raw, i, where, (field) => (field ? `${where}, ${field}` : where), problems);
    if (rule) rules.push(rule);
  });
  return rules;
}
