// The email agent's options and the smtp section: every problem listed at once with its key, and a
// bad configuration refused by the spawned CLI with exit code 2.
import path from 'node:path';
import { parseConfig } from '../../config/config';
import { email } from '../../output-agents/email';
import { cli } from '../helpers/cli';
import { Scratch } from '../helpers/csv-scan';

const scratch = new Scratch();
afterAll(() => scratch.remove());

describe('email options', () => {
  test('require the recipients', () => {
    expect(email.parseOptions({})).toEqual({ errors: ['to: required: the recipients as a list of addresses'] });
    expect(email.parseOptions({ to: [] }).errors).toEqual(['to: give at least one recipient']);
  });

  test('list every problem at once, each with its key', () => {
    const html = scratch.write('raw.html.hbs', '<p>{{{hosts}}}</p>');
    const r = email.parseOptions({
      to: ['soc@example.org', 'not an address', 'x@example.org\r\nBcc: evil@example.org'],
      cc: 42,
      from: 'Ops <ops@>',
      reply_to: 'a@b.org, c@d.org',
      subject: '{{#each hosts}}',
      text_template: path.join(scratch.dir, 'missing.txt.hbs'),
      html_template: html,
      colour: 'red',
    });
    expect(r.value).toBeUndefined();
    const errors = r.errors!;
    expect(errors).toEqual(expect.arrayContaining([
      "to.1: 'not an address' is not a mail address (write local@domain or Name <local@domain>)",
      'to.2: contains a line break or another control character',
      'cc: the copy recipients: an address or a list of addresses',
      "from: 'Ops <ops@>' is not a mail address (write local@domain or Name <local@domain>)",
      "reply_to: 'a@b.org, c@d.org' is not a mail address (write local@domain or Name <local@domain>)",
      "(options): Unrecognized key(s) in object: 'colour'",
    ]));
    expect(errors.find((e) => e.startsWith('subject: '))).toMatch(/subject template: does not compile/);
    expect(errors.find((e) => e.startsWith('text_template: '))).toContain(`text template ${path.join(scratch.dir, 'missing.txt.hbs')}: cannot be read`);
    expect(errors.find((e) => e.startsWith('html_template: '))).toContain(`html template ${html}: prints unescaped output`);
    expect(errors).toHaveLength(9);
  });

  test('take one address or a list, named addresses, and template paths made absolute', () => {
    const text = scratch.write('ok.txt.hbs', '{{count}}');
    const r = email.parseOptions({ to: 'Security Team <soc@example.org>', from: 'root@localhost', text_template: path.relative(process.cwd(), text) });
    expect(r).toEqual({ value: { to: ['Security Team <soc@example.org>'], cc: [], from: 'root@localhost', text_template: text } });
  });
});

describe('the smtp section', () => {
  const parse = (yaml: string) => parseConfig(yaml, 'test.yaml');
  const problems = (yaml: string): string[] => {
    try {
      parse(yaml);
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
    throw new Error('the configuration was accepted');
  };

  test('has defaults for everything but the host', () => {
    expect(parse('smtp: { host: 127.0.0.1 }').smtp).toEqual({ host: '127.0.0.1', port: 25, secure: false, starttls: true, tls_verify: true, timeout_ms: 30000 });
  });

  test('takes the password from the environment and the timeout as a duration', () => {
    process.env.PD_TEST_SMTP_PASSWORD = 's3cret: #x';
    try {
      const c = parse('smtp:\n  host: mail.example.org\n  port: 587\n  user: portdelta\n  password: "${PD_TEST_SMTP_PASSWORD}"\n  tls_verify: false\n  timeout: 5s\n  from: Portdelta <portdelta@example.org>\n');
      expect(c.smtp).toEqual({ host: 'mail.example.org', port: 587, secure: false, starttls: true, user: 'portdelta', password: 's3cret: #x', tls_verify: false, timeout_ms: 5000, from: 'Portdelta <portdelta@example.org>' });
    } finally {
      delete process.env.PD_TEST_SMTP_PASSWORD;
    }
  });

  test('lists every bad key', () => {
    expect(problems('smtp: { port: 70000, secure: "yes", timeout: soon, from: "nobody", colour: red }')).toEqual([
      'smtp.host: Required',
      'smtp.port: Number must be less than or equal to 65535',
      'smtp.secure: Expected boolean, received string',
      "smtp.from: 'nobody' is not a mail address (write local@domain or Name <local@domain>)",
      "smtp.timeout: 'soon' is not a duration: a number with a unit: ms, s, m, h, d or w (e.g. 30s, 5m, 36h, 7d)",
      "smtp: Unrecognized key(s) in object: 'colour'",
    ]);
    expect(problems('smtp: { host: h, password: x }')).toEqual(['smtp.user: a password without a user: set user as well']);
  });

  test('takes starttls: false only for a relay on this machine, and only with secure: false', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.1.2.3']) {
      expect(parse(`smtp: { host: "${host}", user: u, password: p, starttls: false }`).smtp).toMatchObject({ host, starttls: false });
    }
    expect(problems('smtp: { host: mail.example.org, user: u, starttls: false }')).toEqual([
      'smtp.starttls: starttls: false sends the mail and the password in clear, so it is allowed only for a relay on this machine (127.0.0.1, ::1, localhost), not mail.example.org; remove it, or use secure: true',
    ]);
    expect(problems('smtp: { host: 10.1.2.3, starttls: false }')).toEqual([expect.stringMatching(/^smtp\.starttls: starttls: false sends the mail in clear, .* not 10\.1\.2\.3;/)]);
    expect(problems('smtp: { host: 127.0.0.1, secure: true, starttls: false }')).toEqual(['smtp.starttls: starttls: false goes with secure: false; secure: true is TLS from the first byte']);
  });

  test('is required, with a sender, by every email agent', () => {
    const agent = 'output_agents:\n  - { name: soc-mail, kind: email, to: [soc@example.org] }\n';
    expect(problems(agent)).toEqual(["smtp: the email agent 'soc-mail' needs an smtp section (at least host)"]);
    expect(problems(`smtp: { host: h }\n${agent}`)).toEqual(["output_agents.0.from: no sender for the email agent 'soc-mail': set from here or smtp.from"]);
    expect(parse(`smtp: { host: h, from: a@b.org }\n${agent}`).smtp!.from).toBe('a@b.org');
    expect(parse(`smtp: { host: h }\noutput_agents:\n  - { name: m, kind: email, to: x@y.org, from: a@b.org }\n`).smtp!.host).toBe('h');
  });

  test('is checked by the CLI: exit 2 and every problem named', async () => {
    const file = scratch.write('bad-smtp.yaml', 'smtp:\n  host: ""\n  timeout: 3 days\n');
    const r = await cli(['--config', file, 'changes', '--db', `sqlite:${path.join(scratch.dir, 'x.sqlite')}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`configuration ${file} is invalid:`);
    expect(r.stderr).toContain('smtp.host: String must contain at least 1 character(s)');
    expect(r.stderr).toContain("smtp.timeout: '3 days' is not a duration");
  });
});
