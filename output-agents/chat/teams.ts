// Microsoft Teams (incoming webhook / Workflows): one Adaptive Card (schema 1.4) in the message
// envelope Teams takes ({type: message, attachments: [{contentType: …adaptive, content}]}), the
// headline and then TextBlocks of at most 4,000 characters, five to a card (Teams refuses
// messages over about 28 KB). TextBlocks render a Markdown subset: network text has every
// character that could start markup backslash-escaped (`{` too, so `{{DATE(…)}}` is not
// evaluated, and `&` so an entity is shown as written), control characters as \xNN.
import { safeText } from '../../common/safe-text';
import { blocks, messagesOf, partOf } from './split';
import type { ChatStyle, Digest, DigestLine } from './types';

const MAX_BLOCK = 4000;
const PER_CARD = 5;
const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';

function teamsText(s: string): string {
  return safeText(s).replace(/[\\`*_{}[\]()#!|<>~&]/g, (c) => `\\${c}`);
}

const line = (l: DigestLine): string => `- ${teamsText(l.text)}${l.ref ? ` (${l.ref})` : ''}`;
const textBlock = (text: string, extra: object = {}) => ({ type: 'TextBlock', text, wrap: true, ...extra });

export const teams: ChatStyle = {
  name: 'teams',
  messages(d: Digest) {
    const groups = messagesOf(blocks(d.lines, MAX_BLOCK, line), PER_CARD);
    return groups.map((group, i) => {
      const headline = textBlock(`portdelta ${teamsText(d.agent)}: ${partOf(d.count, i, groups.length)}`, { weight: 'Bolder', size: 'Medium', ...(d.unexpected ? { color: 'Attention' } : {}) });
      const card = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body: [headline, ...group.map((b) => textBlock(b.text))] };
      return { body: { type: 'message', attachments: [{ contentType: ADAPTIVE, contentUrl: null, content: card }] }, ids: group.flatMap((b) => b.ids) };
    });
  },
};
