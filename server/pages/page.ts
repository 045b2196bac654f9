// What every page gets and gives: the store, the config, the reader's access and the URL; a title
// and a body (layout.ts wraps it), or a whole answer (an export, a redirect).
import type { Db } from '../../db/connection';
import type { Config } from '../../config/config';
import type { Access } from '../auth';
import type { Answer } from '../routes-scans';
import type { Html } from './html';
import { HttpError } from '../http-error';

export interface PageCtx {
  db: Db;
  config: Config;
  access: Access;
  url: URL;
}

export type PageOut = { title: string; body: Html } | { answer: Answer };

/** Rows per page of every list. */
export const PAGE_SIZE = 100;

/** A query parameter's value, trimmed; undefined when absent or empty. */
export function param(url: URL, name: string): string | undefined {
  const v = url.searchParams.get(name)?.trim();
  return v ? v : undefined;
}

/** The page number (1 and up) of `?page=`. */
export function pageNumber(url: URL): number {
  const v = param(url, 'page');
  if (v === undefined) return 1;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1) throw new HttpError(400, `page: '${v}' is not a page number`, 'use page=1, page=2, …');
  return Number(v);
}

/** Whether the reader sees every network (a read token without `networks:`). */
export const everyNetwork = (a: Access): boolean => a.kind === 'read' && a.networks === null;
