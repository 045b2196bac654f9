// Text from the network shown to a person. A host name, a banner or a file's bytes may hold
// terminal escapes (ESC, BEL), line breaks that forge a line, NUL, or bidi overrides that make
// 'exe.txt' read as 'txt.exe': each such character is shown escaped, never passed through.
// JSON outputs keep the exact value; every human-facing sink goes through one of these.

// C0, DEL and C1 controls; the bidi embeddings, overrides, isolates and marks; the line and
// paragraph separators (a line break to some viewers).
// eslint-disable-next-line no-control-regex
export const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** For a terminal, a text file, a mail: control and bidi characters as `\xNN` / `\u{…}`. */
export function safeText(s: string | null | undefined): string {
  return (s ?? '').replace(UNSAFE, escapeChar);
}

/** Several lines of our own, each of which may hold hostile text: the line breaks stay. */
export function safeLines(s: string): string {
  return s.split('\n').map(safeText).join('\n');
}

const CHAT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * For a chat message (Slack, Mattermost): safeText, and `& < >` as entities, the escaping Slack
 * asks for, so `<!channel>` or `<https://evil|click>` from a PTR record is shown, not obeyed.
 */
export function chatText(s: string | null | undefined): string {
  return safeText(s).replace(/[&<>]/g, (c) => CHAT[c]);
}
