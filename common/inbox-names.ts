// The inbox's own names (DESIGN §7), known to the server's configuration as well as to the inbox
// daemon: archive/ and failed/ are the watcher's folders, and names ending .part/.tmp or starting
// with '.' are uploads in progress (scp/sftp/rsync conventions), never looked at.
export const ARCHIVE_DIR = 'archive';
export const FAILED_DIR = 'failed';

export function ignoredName(name: string): boolean {
  return name.startsWith('.') || /\.(part|tmp)$/i.test(name);
}
