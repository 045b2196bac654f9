// The YAML form of the policy: `rules:` with a list of rules, or the list alone at the top level.
// Each problem names the rule's path and line ('rules[2].ports (line 9)').
import YAML, { isMap, isScalar, isSeq, LineCounter, type Node } from 'yaml';
import { checkRule, RULE_FIELDS, type PolicyRule } from './policy-rules';

export function readYamlPolicy(text: string, problems: string[]): PolicyRule[] {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    for (const e of doc.errors) problems.push(`line ${lines.linePos(e.pos[0]).line}: YAML: ${e.message.split('\n')[0]}`);
    return [];
  }
  const lineOf = (n: Node | null | undefined): string => (n?.range ? ` (line ${lines.linePos(n.range[0]).line})` : '');

  let list: Node | null = doc.contents;
  let prefix = '';
  if (isMap(list)) {
    for (const pair of list.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (key !== 'rules') problems.push(`${key}${lineOf(pair.key as Node)}: unknown key; the policy has only 'rules:'`);
    }
    list = (list.get('rules', true) as Node | undefined) ?? null;
    prefix = 'rules';
    if (list === null) {
      problems.push("(top level): no 'rules:' list; write rules: [{network: …, proto: …, ports: …, action: allow|deny}]");
      return [];
    }
  }
  if (!isSeq(list)) {
    problems.push(`${prefix || '(top level)'}${lineOf(list)}: expected a list of rules`);
    return [];
  }
  if (list.items.length === 0) problems.push(`${prefix || '(top level)'}${lineOf(list)}: the list of rules is empty`);

  const rules: PolicyRule[] = [];
  list.items.forEach((item, i) => {
    const where = `${prefix}[${i}]${lineOf(item as Node)}`;
    if (!isMap(item)) {
      problems.push(`${where}: expected a rule (network, proto, ports, action, owner, note)`);
      return;
    }
    const raw: Record<string, unknown> = {};
    const keyLine: Record<string, string> = {};
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!RULE_FIELDS.includes(key)) {
        problems.push(`${prefix}[${i}].${key}${lineOf(pair.key as Node)}: unknown key; a rule has ${RULE_FIELDS.join(', ')}`);
        continue;
      }
      raw[key] = (pair.value as Node | null)?.toJS(doc) ?? null;
      keyLine[key] = lineOf(pair.key as Node);
    }
    const at = (field: string | null) => (field ? `${prefix}[${i}].${field}${keyLine[field] ?? lineOf(item)}` : where);
    const rule = checkRule(raw, i, where, at, problems);
    if (rule) rules.push(rule);
  });
  return rules;
}
