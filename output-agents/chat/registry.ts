// The chat styles of the webhook kind, in one frozen list (STYLE.md): a new platform is one file
// and one line here. `generic` is the webhook's own JSON (output-agents/webhook-body.ts).
import { mattermost } from './mattermost';
import { slack } from './slack';
import { teams } from './teams';
import type { ChatStyle } from './types';

const STYLES: readonly ChatStyle[] = Object.freeze([slack, teams, mattermost]);

export const CHAT_STYLE_NAMES = Object.freeze(STYLES.map((s) => s.name)) as readonly ChatStyle['name'][];

export function chatStyle(name: ChatStyle['name']): ChatStyle {
  return STYLES.find((s) => s.name === name)!;
}
