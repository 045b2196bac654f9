// A look at a file's head, before it is ingested: when its scan started (so the inbox is worked
// oldest scan first) and which scanner a uniform CSV names. The head goes through the same input
// agent that will ingest the file, so the time is the one ingest will record (the -oG header read
// in the scanner's zone). Anything unreadable just has no time; ingest will say what is wrong.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { detect } from '../input-agents/registry';
import { openInput } from '../input-agents/open-input';
import { fileEncoding, utf8Input } from '../input-agents/text-encoding';
import { scannerConfig } from '../common/scanner-config';
import { type Config } from '../config/config';
import { DEFAULT_SCANNER } from '../delta-reporter/scan-file';

export interface Peek {
  /** Scan start (epoch ms) from the file, or null when its head does not say. */
  startedAt: number | null;
  /** '#scanner=' of a uniform CSV. */
  scanner: string | null;
}

export async function peekFile(file: string, folder: string | null, config: Config): Promise<Peek> {
  const none: Peek = { startedAt: null, scanner: null };
  let head: Buffer;
  try {
    // openInput, so that a gzip file is peeked at inside; only its head is read.
    const opened = await openInput(file, undefined, { strict: true, maxDecompressed: config.server.max_body });
    opened.rest.destroy();
    head = opened.head;
  } catch {
    return none;
  }
  const found = { ...none };
  try {
    const agent = detect(head, file);
    const timezone = scannerConfig(config.scanners, folder ?? DEFAULT_SCANNER).timezone;
    const text = utf8Input(Readable.from([head]), fileEncoding(head, file), file);
    for await (const ev of agent.parse(text, { source: file, timezone })) {
      if (ev.kind === 'meta') {
        if (ev.startedAt) found.startedAt = ev.startedAt.getTime();
        if (ev.scanner) found.scanner = ev.scanner;
      } else if (ev.kind === 'host' || ev.kind === 'end') break;
    }
  } catch {
    // an unknown format, or the head cut a record in two: what was read so far stands
  }
  return found;
}

/** Peeks each file once per (inode, size, mtime). */
export class PeekCache {
  private cache = new Map<string, { sig: string; peek: Peek }>();

  async get(file: string, stat: fs.Stats, folder: string | null, config: Config): Promise<Peek> {
    const sig = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    const hit = this.cache.get(file);
    if (hit && hit.sig === sig) return hit.peek;
    const peek = stat.isFile() ? await peekFile(file, folder, config) : { startedAt: null, scanner: null };
    this.cache.set(file, { sig, peek });
    return peek;
  }

  /** Drops what is no longer in the inbox. */
  keepOnly(files: ReadonlySet<string>): void {
    for (const f of this.cache.keys()) if (!files.has(f)) this.cache.delete(f);
  }
}
