// A 303 answer to another page of the dashboard (after a login, a logout, a jump box).
import type { Answer } from './routes-scans';

export const redirect = (to: string, headers: Record<string, string> = {}): Answer =>
  ({ status: 303, body: '', contentType: 'text/html; charset=utf-8', headers: { Location: to, ...headers } });
