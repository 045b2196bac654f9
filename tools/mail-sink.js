#!/usr/bin/env node
// A mail sink for trying the email agent on one machine: an SMTP server on 127.0.0.1 that prints
// every mail it receives (envelope, subject and the plain-text part) and keeps nothing. For the walkthrough in
// docs/walkthrough.md; uses the development dependencies smtp-server and mailparser.
//   node tools/mail-sink.js [PORT]      (default 2525)
const { SMTPServer } = require('smtp-server');
const { simpleParser } = require('mailparser');

const port = Number(process.argv[2] || 2525);
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, done) {
    simpleParser(stream)
      .then((mail) => {
        const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        process.stdout.write(`----- mail from ${from || '<>'} to ${to}\n`);
        process.stdout.write(`Subject: ${mail.subject ?? ''}\n\n${mail.text ?? '(no text part)'}\n`);
        done();
      })
      .catch(done);
  },
});
server.on('error', (e) => {
  process.stderr.write(`mail sink: ${e.message}${e.code === 'EADDRINUSE' ? ' (give another port: node tools/mail-sink.js PORT)' : ''}\n`);
  process.exit(2);
});
server.listen(port, '127.0.0.1', () => process.stderr.write(`mail sink listening on 127.0.0.1:${port}\n`));
