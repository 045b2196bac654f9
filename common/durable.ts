// A rename is durable only once its folder is synced: without it, a crash can bring back the old
// name (or neither) although the file's own data was synced.
import fs from 'node:fs';

/** fsync(2) of a file or folder by path. */
export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The same without blocking the event loop (the server). */
export async function fsyncPathAsync(p: string): Promise<void> {
  const fh = await fs.promises.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
