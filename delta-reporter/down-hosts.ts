// Which host records an ingest has no use for, decided in one place: the stager leaves them out, and
// so does the parse (in its worker thread) once the scan's scope says so, so they need not cross over.
import type { HostRecord } from '../common/types';

/**
 * A down host that did not time out says nothing unless the scope is the hosts the file lists
 * (`keepDownHosts`): a host nmap timed out on may still hold open ports.
 */
export function unneededHost(h: HostRecord, keepDownHosts: boolean): boolean {
  return h.status !== 'up' && !h.timedOut && !keepDownHosts;
}
