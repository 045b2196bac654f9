// Kind `file`: appends the changes to a file — JSON Lines, one change per line, a SIEM's records
// (ECS or OCSF JSON Lines, CEF lines: siem/), or the plain text report. The data is on disk (fsync) before the delivery counts as done.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DeliveryError } from '../common/errors';
import { appendAll } from './append-all';
import { parseWith } from './kind-options';
import { baselineRecord } from './overview';
import { renderReport } from './render';
import { siemRecords } from './siem/records';
import { siemFormat, SIEM_FORMAT_NAMES } from './siem/registry';
import { CWD_CONTEXT, type ChangeBatch, type OutputAgent } from './types';

const schema = z
  .object({
    path: z.string().min(1),
    format: z.enum(['jsonl', 'text', ...SIEM_FORMAT_NAMES]).default('jsonl'),
  })
  .strict();
export type FileOptions = z.output<typeof schema>;

function content(batch: ChangeBatch, format: FileOptions['format']): string {
  if (format === 'text') return renderReport(batch).text;
  if (format !== 'jsonl') return siemRecords(batch, siemFormat(format)).map((r) => r.text + '\n').join('');
  // A scanner's baseline is one summary record ("baseline": true), ahead of the changes.
  return [...(batch.baselines ?? []).map(baselineRecord), ...batch.changes].map((c) => JSON.stringify(c) + '\n').join('');
}

/** What to do when the file cannot be opened: its folder, or the file itself. */
function openRemedy(file: string, e: NodeJS.ErrnoException): string {
  const dir = path.dirname(file);
  if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return `create the folder ${dir} (or correct path: in the agent's entry)`;
  if (e.code === 'EISDIR') return `${file} is a folder: give a file name as path: in the agent's entry`;
  return `check that portdelta's user may write to ${file} and to its folder ${dir} (permissions, a read-only mount)`;
}

export const fileAgent: OutputAgent<FileOptions> = {
  kind: 'file',
  parseOptions(raw, ctx = CWD_CONTEXT) {
    const r = parseWith(schema, raw, ctx);
    return r.value ? { value: { ...r.value, path: path.resolve(ctx.baseDir, r.value.path) } } : r;
  },
  async deliver(batch, options) {
    const fd = await fs.promises.open(options.path, 'a', 0o640).catch((e: NodeJS.ErrnoException) => {
      throw new DeliveryError(`cannot open ${options.path} for appending: ${e.message}`, { cause: e, remedy: openRemedy(options.path, e) });
    });
    try {
      await appendAll(fd, Buffer.from(content(batch, options.format), 'utf8')).catch((e: Error) => {
        throw new DeliveryError(`cannot append to ${options.path}: ${e.message}`, {
          cause: e,
          remedy: `make room for ${options.path} (free disk space, quota, file size limit)`,
        });
      });
    } finally {
      await fd.close();
    }
  },
};
