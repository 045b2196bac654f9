// Mattermost (incoming webhook): the headline as the post's text and the changes as message
// attachments (Mattermost's Slack-compatible `attachments`, markdown in `text`), at most about
// 12,000 characters a post (Mattermost refuses posts over 16,383). Network text goes into a
// CommonMark code span, fenced with more backticks than it holds: no markdown, HTML or
// @channel/@here/@all mention inside it is acted on, and the text is shown exactly (control and
// bidi characters as \xNN).
import { safeText } from '../../common/safe-text';
import { blocks, messagesOf, partOf } from './split';
import type { ChatStyle, Digest, DigestLine } from './types';

const MAX_ATTACHMENT = 4000;
const PER_POST = 3;
const RED = '#d0021b';
const BLUE = '#2389d7';

function markdownCode(s: string): string {
  const text = safeText(s);
  if (!text) return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  // CommonMark strips one space from each end when both are there: pad where the text begins or ends with ` or space.
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

const line = (l: DigestLine): string => `- ${markdownCode(l.text)}${l.ref ? ` (${l.ref})` : ''}`;

export const mattermost: ChatStyle = {
  name: 'mattermost',
  messages(d: Digest) {
    const groups = messagesOf(blocks(d.lines, MAX_ATTACHMENT, line), PER_POST);
    return groups.map((group, i) => {
      const headline = `portdelta ${markdownCode(d.agent)}: ${partOf(d.count, i, groups.length)}`;
      return {
        body: {
          text: `#### ${headline}`,
          attachments: group.map((b) => ({ fallback: `portdelta ${d.agent}: ${d.count}`, color: d.unexpected ? RED : BLUE, text: b.text })),
        },
        ids: group.flatMap((b) => b.ids),
      };
    });
  },
};
