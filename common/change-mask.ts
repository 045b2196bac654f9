// A change-type filter as operators write it: names ('new_port,port_reopened' or a list) or a
// numeric mask ('40'). Shared by `changes --type` and the output agents' `types`.
import { CHANGE_TYPE_NAMES, ChangeType, type ChangeTypeName } from './types';

const ALL_TYPES = CHANGE_TYPE_NAMES.reduce((m, n) => m | ChangeType[n], 0);
export const TYPE_MASK_HINT = `use a mask (a sum of ${CHANGE_TYPE_NAMES.map((n) => `${ChangeType[n]} ${n}`).join(', ')}) or names from: ${CHANGE_TYPE_NAMES.join(', ')}`;

/** The mask, or throws a TypeError whose message says which part is wrong. */
export function parseTypeMask(value: string | number | readonly string[]): number {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
    const n = Number(value);
    if (!Number.isInteger(n) || n === 0 || (n & ~ALL_TYPES) !== 0) throw new TypeError(`${value} is not a mask of change types`);
    return n;
  }
  const names = typeof value === 'string' ? value.split(',') : [...value];
  let mask = 0;
  for (const name of names.map((s) => String(s).trim()).filter(Boolean)) {
    if (!(CHANGE_TYPE_NAMES as readonly string[]).includes(name)) throw new TypeError(`unknown change type '${name}'`);
    mask |= ChangeType[name as ChangeTypeName];
  }
  if (mask === 0) throw new TypeError('no change type given');
  return mask;
}
