// How each chat style splits a long digest (pure: output-agents/chat/): every change in exactly one
// message and in order, each message within its platform's limits, parts numbered, a line longer
// than a whole block cut short but kept with its change.
import { chatStyle, CHAT_STYLE_NAMES } from '../../output-agents/chat/registry';
import type { Digest } from '../../output-agents/chat/types';

/** What each platform refuses (Slack: 50 blocks, 3,000 characters a section; Mattermost: 16,383 a post; Teams: about 28 KB). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const WITHIN: Record<string, (body: any) => void> = {
  slack(body) {
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    for (const b of body.blocks) expect(b.text.text.length).toBeLessThanOrEqual(3000);
  },
  teams(body) {
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(28_000);
  },
  mattermost(body) {
    const text = [body.text, ...body.attachments.map((a: { text: string }) => a.text)].join('\n');
    expect(text.length).toBeLessThan(16_383);
  },
};

function digest(n: number, length: number): Digest {
  const lines = Array.from({ length: n }, (_, i) => ({ text: `${i}:${'x'.repeat(length)}`, ids: [i + 1], ref: `change ${i + 1}` }));
  return { agent: 'chat', count: `${n} changes`, lines, unexpected: false };
}

const cases = CHAT_STYLE_NAMES.flatMap((style) => [
  [style, 1, 40],
  [style, 500, 60],
  [style, 3000, 250],
  [style, 3, 20_000],
] as Array<[string, number, number]>);

test.each(cases)('%s: %i lines of %i characters: each change once, in order, every message within the limits', (style, n, length) => {
  const messages = chatStyle(style as 'slack').messages(digest(n, length));
  expect(messages.flatMap((m) => m.ids)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  for (const m of messages) WITHIN[style](m.body);
  const text = messages.map((m) => JSON.stringify(m.body)).join('\n');
  if (messages.length > 1) {
    expect(text).toContain(`${n} changes (part 1 of ${messages.length})`);
    expect(text).toContain(`${n} changes (part ${messages.length} of ${messages.length})`);
  } else expect(text).not.toContain('(part ');
  if (length > 5000) expect(text).toContain('…');
});

test('a digest that fits one message is one message; one beyond Slack\'s 49 sections is two', () => {
  expect(chatStyle('slack').messages(digest(30, 50))).toHaveLength(1);
  // ~37 lines of 80 characters fill a 3,000-character section.
  expect(chatStyle('slack').messages(digest(49 * 37 + 200, 78)).length).toBeGreaterThan(1);
});

// A hostile PTR name of 255 bidi characters is ~2,000 characters once escaped, three times in a DNS
// change's line: the line is cut in its plain text, so the code span around it still closes and
// nothing after the cut is read as markup or a mention.
const BIDI_NAME = `@channel [x](https://evil.example) *b* ${'\u202e'.repeat(200)}`;
const CLOSED: Record<string, RegExp> = {
  slack: /^• `[^`]*` \(change 1\)$/,
  mattermost: /^- (`+) [^`]*\1 \(change 1\)$|^- (`+)[^` ][^`]*[^` ]\2 \(change 1\)$/,
  teams: /^- (?:[^\\`*_{}[\]()#!|<>~&]|\\.)*… \(change 1\)$/,
};
const lineTexts: Record<string, (body: any) => string[]> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  slack: (body) => body.blocks.slice(1).map((b: { text: { text: string } }) => b.text.text),
  mattermost: (body) => body.attachments.map((a: { text: string }) => a.text),
  teams: (body) => body.attachments[0].content.body.slice(1).map((b: { text: string }) => b.text),
};

test.each(CHAT_STYLE_NAMES)('%s: a line too long once escaped is cut before escaping, so its escaping stays whole', (style) => {
  const text = `10.0.0.1 (${BIDI_NAME}): DNS name changed from ${BIDI_NAME} to ${BIDI_NAME} [scan-in]`;
  const messages = chatStyle(style).messages({ agent: 'chat', count: '1 change', lines: [{ text, ids: [1], ref: 'change 1' }], unexpected: false });
  expect(messages.flatMap((m) => m.ids)).toEqual([1]);
  for (const m of messages) WITHIN[style](m.body);
  const lines = messages.flatMap((m) => lineTexts[style](m.body));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('…');
  expect(lines[0]).toMatch(CLOSED[style]);
});
