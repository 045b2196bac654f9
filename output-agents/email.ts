// The `email` output agent (DESIGN §4): one mail per agent per run, a plain-text and an HTML part
// rendered from the batch, handed to the configured SMTP server with nodemailer. Any failure throws,
// so the runner records nothing as delivered and the next run sends the changes again.
import { DeliveryError, PortdeltaError } from '../common/errors';
import { parseEmailOptions, type EmailOptions } from './email-options';
import { renderReport } from './render';
import type { ChangeBatch, DeliveryDeps, OutputAgent, SmtpSettings } from './types';

export type { EmailOptions } from './email-options';

/** What the server said ("RCPT TO: 550 5.1.1 no such user"), else the socket's error. */
function smtpAnswer(e: unknown, smtp: SmtpSettings): string {
  const err = e as { code?: string; command?: string; response?: string; message?: string };
  if (err.code === 'ETLS' && smtp.user !== undefined && !smtp.secure) {
    const why = err.response ? `STARTTLS answered: ${err.response}` : (err.message ?? String(e));
    return `the server did not switch to TLS (${why}), so the login for ${smtp.user} was not sent; use a server that offers STARTTLS, or secure: true (port 465)`;
  }
  if (err.response) return `${err.command ? `${err.command} ` : ''}answered: ${err.response}`;
  return err.message ?? String(e);
}

// nodemailer is loaded only when a mail goes out: every command reads the configuration, and with
// it this module, but few of them send mail.
async function transport(smtp: SmtpSettings) {
  const nodemailer = (await import('nodemailer')).default;
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // A password goes out only after STARTTLS: a server (or someone in between) that does not offer
    // it gets no login. starttls: false (a relay on this machine only) sends everything plain.
    requireTLS: !smtp.secure && smtp.starttls && smtp.user !== undefined,
    ignoreTLS: !smtp.secure && !smtp.starttls,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    tls: { rejectUnauthorized: smtp.tls_verify },
    connectionTimeout: smtp.timeout_ms,
    greetingTimeout: smtp.timeout_ms,
    socketTimeout: smtp.timeout_ms,
  });
}

async function deliver(batch: ChangeBatch, options: EmailOptions, deps: DeliveryDeps): Promise<void> {
  if (batch.changes.length === 0 && !batch.baselines?.length && batch.disagreements.length === 0) {
    deps.log('nothing to report, no mail sent');
    return;
  }
  const smtp = deps.smtp;
  const remedy = 'add smtp: { host: …, from: … } to the configuration (docs/configuration.md)';
  if (!smtp) throw new PortdeltaError('CONFIG', `email agent ${batch.agent}: there is no smtp section to send through`, { remedy });
  const from = options.from ?? smtp.from;
  if (!from) throw new PortdeltaError('CONFIG', `email agent ${batch.agent}: no sender (neither its from nor smtp.from is set)`, { remedy });

  const report = renderReport(batch, { subject: options.subject, textTemplate: options.text_template, htmlTemplate: options.html_template });
  const t = await transport(smtp);
  try {
    const info = await t.sendMail({
      from,
      to: options.to,
      ...(options.cc.length ? { cc: options.cc } : {}),
      ...(options.reply_to ? { replyTo: options.reply_to } : {}),
      subject: report.subject,
      text: report.text,
      html: report.html,
      date: deps.now(),
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    // Some recipients accepted: the mail is out, and sending it again would repeat it for them.
    const refused = (info.rejected ?? []).map(String);
    const refusedNote = refused.length ? `; the SMTP server refused ${refused.join(', ')}` : '';
    deps.log(`mail sent to ${(info.accepted ?? []).map(String).join(', ')}${refusedNote}: ${report.subject}`);
  } catch (e) {
    throw new DeliveryError(`email agent ${batch.agent}: sending through ${smtp.host}:${smtp.port} failed: ${smtpAnswer(e, smtp)}`, {
      cause: e,
      remedy: 'check the smtp section and that the server accepts this sender and these recipients; the changes stay undelivered and go out with the next run',
    });
  } finally {
    t.close();
  }
}

export const email = { kind: 'email', parseOptions: parseEmailOptions, deliver } satisfies OutputAgent<EmailOptions>;
