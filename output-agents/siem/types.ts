// The SIEM record formats (docs/siem.md): one file per format behind this interface, listed in
// ./registry.ts. The file, webhook and syslog kinds take a change through one of them.
import type { SiemFacts } from './facts';

export interface SiemFormat {
  readonly name: 'ecs' | 'ocsf' | 'cef';
  /** The media type of one record: JSON objects, or CEF's text lines. */
  readonly json: boolean;
  /** One change (or baseline summary) as one record, without a line break. */
  record(facts: SiemFacts): string;
}
