// Long digests split by a platform's limits: lines packed into text blocks of at most `maxChars`,
// blocks packed into messages of at most `perMessage`. A line never straddles two blocks; one too
// long for a block on its own is cut short (the ids stay with it).
import type { DigestLine } from './types';

export interface Block {
  text: string;
  ids: number[];
}

function cut(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

/** `lines` already escaped for the platform; joined with line feeds. */
export function blocks(lines: DigestLine[], maxChars: number): Block[] {
  const out: Block[] = [];
  let cur: Block | null = null;
  for (const line of lines) {
    const text = cut(line.text, maxChars);
    if (cur && cur.text.length + 1 + text.length <= maxChars) {
      cur.text += `\n${text}`;
      cur.ids.push(...line.ids);
    } else {
      cur = { text, ids: [...line.ids] };
      out.push(cur);
    }
  }
  return out;
}

export function messagesOf(all: Block[], perMessage: number): Block[][] {
  const out: Block[][] = [];
  for (let i = 0; i < all.length; i += perMessage) out.push(all.slice(i, i + perMessage));
  return out.length ? out : [[]];
}

/** '3 changes', or '3 changes (part 2 of 4)' when the digest was split. */
export const partOf = (count: string, i: number, n: number): string => (n > 1 ? `${count} (part ${i + 1} of ${n})` : count);
