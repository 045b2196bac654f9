// Changes in words a person reads at a glance ("port 8443/tcp newly open"); used by the CLI, the
// demo and the output agents alike.
import { ChangeType } from './types';

export interface DescribableChange {
  proto: string | null;
  port: number | null;
  type: number;
  hostname: string | null;
  previous_hostname: string | null;
  returning: boolean;
}

export function describeChange(c: DescribableChange): string {
  const t = c.type;
  const parts: string[] = [];
  if (c.port !== null) {
    const p = `port ${c.port}/${c.proto}`;
    if (t & ChangeType.port_reopened) parts.push(t & ChangeType.new_host ? `${p} open again (host is back)` : `${p} open again`);
    else if (t & ChangeType.new_port) {
      parts.push(t & ChangeType.new_host ? (c.returning ? `${p} newly open (host is back)` : `${p} open on a new host`) : `${p} newly open`);
    }
    else if (t & ChangeType.port_closed) parts.push(t & ChangeType.host_down ? `${p} gone with its host` : `${p} closed`);
    return parts.join(', ');
  }
  if (t & ChangeType.new_host) parts.push(c.returning ? 'host is back' : 'new host');
  if (t & ChangeType.host_down) parts.push('host gone');
  if (t & ChangeType.dns_changed) {
    parts.push(`DNS name changed from ${c.previous_hostname ?? '(none)'} to ${c.hostname ?? '(none)'}`);
  }
  if (t & ChangeType.all_ports_answer) parts.push('answers on (nearly) every port: its ports are not reported one by one');
  return parts.join(', ');
}
