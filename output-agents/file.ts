// Kind `file`: appends the changes to a file — JSON Lines, one change per line (for a SIEM), or the
// plain text report. The data is on disk (fsync) before the delivery counts as done.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { appendAll } from './append-all';
import { parseWith } from './kind-options';
import { baselineRecord } from './overview';
import { renderReport } from './render';
import { CWD_CONTEXT, type ChangeBatch, type OutputAgent } from './types';

const schema = z
  .object({
    path: z.string().min(1),
    format: z.enum(['jsonl', 'text']).default('jsonl'),
  })
  .strict();
export type FileOptions = z.output<typeof schema>;

function content(batch: ChangeBatch, format: FileOptions['format']): string {
  if (format === 'text') return renderReport(batch).text;
  // A scanner's baseline is one summary record ("baseline": true), ahead of the changes.
  return [...(batch.baselines ?? []).map(baselineRecord), ...batch.changes].map((c) => JSON.stringify(c) + '\n').join('');
}

export const fileAgent: OutputAgent<FileOptions> = {
  kind: 'file',
  parseOptions(raw, ctx = CWD_CONTEXT) {
    const r = parseWith(schema, raw, ctx);
    return r.value ? { value: { ...r.value, path: path.resolve(ctx.baseDir, r.value.path) } } : r;
  },
  async deliver(batch, options) {
    const fd = await fs.promises.open(options.path, 'a', 0o640).catch((e: Error) => {
      throw new Error(`cannot open ${options.path} for appending: ${e.message}`);
    });
    try {
      await appendAll(fd, Buffer.from(content(batch, options.format), 'utf8')).catch((e: Error) => {
        throw new Error(`cannot append to ${options.path}: ${e.message}`);
      });
    } finally {
      await fd.close();
    }
  },
};
