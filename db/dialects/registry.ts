// The dialects portdelta knows, and the one a store's URL names (knex lib/dialects/index.ts).
import { UsageError } from '../../common/errors';
import { postgres } from './postgres';
import { sqlite } from './sqlite';
import type { Dialect } from './types';

// PostgreSQL first: SQLite takes every URL without another scheme.
const DIALECTS: readonly Dialect[] = Object.freeze([postgres, sqlite]);

export function dialectFor(url: string): Dialect {
  const dialect = DIALECTS.find((d) => d.accepts(url));
  if (!dialect) throw new UsageError(`unsupported database URL '${url.replace(/\/\/[^@/]*@/, '//***@')}'`, 'use a file path, sqlite:PATH or postgres://user@host/db');
  return dialect;
}
