// The SIEM record formats, in one frozen list (STYLE.md): a new format is one file and one line here.
import { cef } from './cef';
import { ecs } from './ecs';
import { ocsf } from './ocsf';
import type { SiemFormat } from './types';

const FORMATS: readonly SiemFormat[] = Object.freeze([ecs, ocsf, cef]);

export const SIEM_FORMAT_NAMES = Object.freeze(FORMATS.map((f) => f.name)) as readonly SiemFormat['name'][];

export function siemFormat(name: SiemFormat['name']): SiemFormat {
  return FORMATS.find((f) => f.name === name)!;
}
