// Appending a delivery to a file so that it is either all there or not there at all: a full disk or
// a quota can make a write short, and a torn JSON line must not count as delivered.
import type { FileHandle } from 'node:fs/promises';

export interface AppendTarget extends Pick<FileHandle, 'stat' | 'truncate' | 'sync'> {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
}

/**
 * Writes all of `data` at the end of the file (opened with O_APPEND) and syncs it. In the usual case
 * that is one write(2), so two runs appending at once do not interleave lines; a short write goes on
 * with the rest. On any failure the file is cut back to its size before, and the error is thrown.
 */
export async function appendAll(fd: AppendTarget, data: Buffer): Promise<void> {
  const { size } = await fd.stat();
  let done = 0;
  try {
    while (done < data.length) {
      const { bytesWritten } = await fd.write(data, done, data.length - done);
      if (bytesWritten <= 0) throw new Error(`no progress after ${done} of ${data.length} bytes`);
      done += bytesWritten;
    }
    await fd.sync();
  } catch (e) {
    // Another run appending at this very moment would lose its lines too; it sees no error, so
    // keeping our torn line is the worse outcome: a SIEM cannot parse past it.
    const cut = await fd.truncate(size).then(() => `cut back to its ${size} bytes before`, (t: Error) => `could not cut it back to ${size} bytes (${t.message}): it may end with a partial line`);
    throw new Error(`${(e as Error).message}; ${cut}`);
  }
}
