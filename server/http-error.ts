// An error that is an HTTP answer: status, a message for the client and, where it helps, a remedy.
import { PortdeltaError } from '../common/errors';

export class HttpError extends PortdeltaError {
  readonly status: number;
  constructor(status: number, message: string, remedy?: string) {
    super(status >= 500 ? 'INTERNAL' : 'BAD_INPUT', message, { remedy });
    this.status = status;
  }
}

/** The client went away mid-body: nobody reads the answer, so the log gets one line, not a stack. */
export class ClientClosedError extends HttpError {
  constructor(readonly bytes: number) {
    // 499: nginx's "client closed request", for the log line (the client never sees it).
    super(499, `client closed the connection after ${bytes} bytes`);
  }
}

/** How Node reports a request body cut short by the client. */
export function isClientGone(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | undefined;
  return e?.code === 'ECONNRESET' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE' || e?.message === 'aborted';
}
