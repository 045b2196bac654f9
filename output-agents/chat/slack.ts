// Slack (incoming webhook, Block Kit): a header section and sections of mrkdwn text, at most 50
// blocks a message and 3,000 characters a section's text. Slack's escaping: `& < >` as entities
// (so `<!channel>` or `<https://evil|click>` from a PTR name is shown, not obeyed); mrkdwn has no
// escape for `* _ ~ \``, so network text goes into inline code, where they do not format, and a
// backtick in it (which would end the code) becomes the lookalike ˋ (U+02CB). `verbatim` keeps
// Slack from turning names into links or channel references.
import { chatText } from '../../common/safe-text';
import { blocks, messagesOf, partOf } from './split';
import type { ChatStyle, Digest, DigestLine } from './types';

const MAX_BLOCKS = 50;
const MAX_SECTION = 3000;

function slackCode(s: string): string {
  const text = chatText(s).replace(/`/g, '\u02cb');
  return text ? `\`${text}\`` : '';
}

const mrkdwn = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } });
const line = (l: DigestLine): string => `• ${slackCode(l.text)}${l.ref ? ` (${l.ref})` : ''}`;

export const slack: ChatStyle = {
  name: 'slack',
  messages(d: Digest) {
    const groups = messagesOf(blocks(d.lines, MAX_SECTION, line), MAX_BLOCKS - 1);
    return groups.map((group, i) => {
      const count = partOf(d.count, i, groups.length);
      return {
        // The notification's text (and the fallback where blocks are not shown).
        body: { text: `portdelta ${chatText(d.agent)}: ${count}`, blocks: [mrkdwn(`*portdelta* ${slackCode(d.agent)}: ${count}`), ...group.map((b) => mrkdwn(b.text))] },
        ids: group.flatMap((b) => b.ids),
      };
    });
  },
};
