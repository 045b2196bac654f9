// The target-state policy (DESIGN §4, docs/target-state.md): which open ports are expected where,
// and who owns them. Read from YAML or CSV, validated as a whole, compiled once into a RuleIndex.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../common/errors';
import { ChangeType, type Proto } from '../common/types';
import type { Policy, PolicyVerdict } from './types';
import { readCsvPolicy } from './policy-csv';
import { RuleIndex, type Decision } from './policy-match';
import type { PolicyRule } from './policy-rules';
import { readYamlPolicy } from './policy-yaml';
import type { PolicyRegions } from '../db/audit-repo';

export type { PolicyRule } from './policy-rules';

/** The policy as `audit` and the report runner use it; `judge` is the output agents' contract. */
export interface TargetPolicy extends Policy {
  readonly file: string;
  readonly format: 'yaml' | 'csv';
  readonly rules: readonly PolicyRule[];
  /** What the policy says about this port being open. */
  check(ip: string, proto: Proto, port: number): Decision;
  /** The policy as address regions and port boxes, for the database (computed once). */
  regions(): PolicyRegions;
}

const REMEDY = 'fix the listed rules; docs/target-state.md describes the policy format';
const OPENING = ChangeType.new_port | ChangeType.port_reopened;

/** CSV when the name ends in .csv, YAML when .yaml/.yml; otherwise a first line with commas and no ':' is a CSV header. */
export function policyFormat(text: string, file: string): 'yaml' | 'csv' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#')) ?? '';
  return first.includes(',') && !first.includes(':') ? 'csv' : 'yaml';
}

export function parsePolicy(text: string, file: string): TargetPolicy {
  const format = policyFormat(text, file);
  const problems: string[] = [];
  const rules = format === 'csv' ? readCsvPolicy(text, problems) : readYamlPolicy(text, problems);
  if (problems.length) throw new ConfigError(file, problems, REMEDY, 'policy');
  const index = new RuleIndex(rules);
  let regions: PolicyRegions | null = null;
  return {
    file,
    format,
    rules,
    check: (ip, proto, port) => index.decide(ip, proto, port),
    regions: () => (regions ??= index.regions()),
    judge(change): PolicyVerdict {
      if (change.proto === null || change.port === null) {
        return { expected: null, owner: index.about(change.ip).owner, note: null };
      }
      const d = index.decide(change.ip, change.proto, change.port);
      const opening = (change.type & OPENING) !== 0;
      const closing = (change.type & ChangeType.port_closed) !== 0;
      // An allowed service that disappears is as unexpected as a forbidden one that appears.
      const expected = !d.covered || (!opening && !closing) ? null : opening ? d.allowed : !d.allowed;
      return { expected, owner: d.owner, note: d.note };
    },
  };
}

export function loadPolicy(file: string): TargetPolicy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as Error).message}`], 'check the path given by --policy or the `policy` key of the configuration', 'policy');
  }
  return parsePolicy(text, file);
}

/**
 * The policy file to use: `explicit` (--policy) as given, else the configuration's `policy` key, a
 * relative path there counting from the configuration file's folder. Null when neither names one.
 */
export function policyPath(configPolicy: string | undefined, configFile: string | null, explicit?: string): string | null {
  if (explicit) return explicit;
  if (!configPolicy) return null;
  return configFile ? path.resolve(path.dirname(configFile), configPolicy) : configPolicy;
}
