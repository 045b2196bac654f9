// Renders a batch as a report: a subject line, a plain-text and an HTML part, from Handlebars
// templates (defaults in ./templates, overridable by path). One Handlebars instance of our own, strict
// (a misspelt field in an operator's template is an error, not a silent blank), and the HTML escaped
// throughout: an HTML template may not print anything unescaped.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type HandlebarsLib from 'handlebars';
import { PortdeltaError } from '../common/errors';
import { reportView, type ReportView } from './report-view';
import type { ChangeBatch } from './types';

// Loaded at the first template: most commands (an ingest, a query) render none, and Handlebars
// with its compiler took ~20 ms of every command's start.
let loaded: { lib: typeof HandlebarsLib; hb: typeof HandlebarsLib } | null = null;
function handlebars(): { lib: typeof HandlebarsLib; hb: typeof HandlebarsLib } {
  if (!loaded) {
    const lib = createRequire(__filename)('handlebars') as typeof HandlebarsLib;
    loaded = { lib, hb: lib.create() };
  }
  return loaded;
}

// __dirname is output-agents/ under jest and dist/output-agents/ when built (tools/copy-assets.js).
const TEMPLATES = path.join(__dirname, 'templates');
const DEFAULT_TEXT_TEMPLATE = path.join(TEMPLATES, 'report.txt.hbs');
const DEFAULT_HTML_TEMPLATE = path.join(TEMPLATES, 'report.html.hbs');
const DEFAULT_SUBJECT = 'portdelta: {{headline}}{{#if disagreement_count}}, {{disagreement_text}}{{/if}}';
export const SUBJECT_MAX = 200;

export interface RenderOptions {
  /** Path of a Handlebars file for the plain-text part. */
  textTemplate?: string;
  /** Path of a Handlebars file for the HTML part. */
  htmlTemplate?: string;
  /** A Handlebars template string for the subject. */
  subject?: string;
}

export interface RenderedReport {
  subject: string;
  text: string;
  html: string;
}

type Kind = 'text' | 'html' | 'subject';
type Template = (view: ReportView & { subject: string }) => string;

const COMPILE: Record<Kind, CompileOptions> = {
  text: { strict: true, noEscape: true },
  subject: { strict: true, noEscape: true },
  html: { strict: true },
};

function templateError(where: string, problem: string): PortdeltaError {
  return new PortdeltaError('CONFIG', `${where}: ${problem}`, {
    remedy: 'fix the template; docs/output-agents.md lists the fields a report template can use',
  });
}

/** Lines of {{{ }}} / {{& }}: in an HTML part they would print a hostile hostname as markup. */
function unescapedLines(source: string): number[] {
  const lines: number[] = [];
  const { lib, hb } = handlebars();
  const visitor = new lib.Visitor();
  visitor.MustacheStatement = function (this: HandlebarsLib.Visitor, m: hbs.AST.MustacheStatement) {
    if (!m.escaped) lines.push(m.loc.start.line);
    return lib.Visitor.prototype.MustacheStatement.call(this, m);
  };
  visitor.accept(hb.parse(source));
  return lines;
}

function compile(source: string, kind: Kind, where: string): Template {
  let fn: HandlebarsTemplateDelegate;
  const { hb } = handlebars();
  try {
    // precompile reports syntax errors now; compile alone would wait for the first render.
    hb.precompile(source, COMPILE[kind]);
    fn = hb.compile(source, COMPILE[kind]);
  } catch (e) {
    throw templateError(where, `does not compile: ${(e as Error).message}`);
  }
  const raw = kind === 'html' ? unescapedLines(source) : [];
  if (raw.length) throw templateError(where, `prints unescaped output ({{{ }}} or {{& }}) on line ${raw.join(', ')}: an HTML report uses {{ }} only`);
  return (view) => {
    try {
      return fn(view);
    } catch (e) {
      throw templateError(where, `cannot be rendered: ${(e as Error).message}`);
    }
  };
}

/** Reads and compiles a template file; the error names the file. */
export function loadTemplate(file: string, kind: 'text' | 'html'): Template {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw templateError(`${kind} template ${file}`, `cannot be read (${(e as Error).message})`);
  }
  return compile(source, kind, `${kind} template ${file}`);
}

export function compileSubject(source: string): Template {
  return compile(source, 'subject', 'subject template');
}

const defaults: Partial<Record<Kind, Template>> = {};
function builtIn(kind: Kind): Template {
  return (defaults[kind] ??= kind === 'subject' ? compileSubject(DEFAULT_SUBJECT) : loadTemplate(kind === 'text' ? DEFAULT_TEXT_TEMPLATE : DEFAULT_HTML_TEMPLATE, kind));
}

/** One header-safe line: control characters and line breaks become spaces, the length is capped. */
function oneLine(s: string, max = SUBJECT_MAX): string {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Plain text keeps its own newlines and tabs; any other control character is dropped. */
function plainText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

export function renderReport(batch: ChangeBatch, opts: RenderOptions = {}): RenderedReport {
  const subjectT = opts.subject === undefined ? builtIn('subject') : compileSubject(opts.subject);
  const textT = opts.textTemplate === undefined ? builtIn('text') : loadTemplate(opts.textTemplate, 'text');
  const htmlT = opts.htmlTemplate === undefined ? builtIn('html') : loadTemplate(opts.htmlTemplate, 'html');
  const view = reportView(batch);
  const subject = oneLine(subjectT({ ...view, subject: '' }));
  const full = { ...view, subject };
  return { subject, text: plainText(textT(full)), html: htmlT(full) };
}
