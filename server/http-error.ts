// An error that is an HTTP answer: status, a message for the client and, where it helps, a remedy.
import { PortdeltaError } from '../common/errors';

export class HttpError extends PortdeltaError {
  readonly status: number;
  constructor(status: number, message: string, remedy?: string) {
    super(status >= 500 ? 'INTERNAL' : 'BAD_INPUT', message, { remedy });
    this.status = status;
  }
}
