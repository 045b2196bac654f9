// Long digests split by a platform's limits: lines packed into text blocks of at most `maxChars`,
// blocks packed into messages of at most `perMessage`. A line never straddles two blocks; one too
// long for a block on its own is cut short (the ids stay with it) in its plain text, before the
// platform escapes it: cut after escaping, a code span would be left open and the hostile name
// after the cut read as markup or an @channel mention.
import type { DigestLine } from './types';

export interface Block {
  text: string;
  ids: number[];
}

/** `render`: the line escaped for the platform. Shortened in proportion until it fits (escaping can grow text ~10 times). */
function fitted(line: DigestLine, render: (l: DigestLine) => string, maxChars: number): string {
  let out = render(line);
  for (let text = line.text; out.length > maxChars && text; ) {
    const keep = Math.min(text.length - 1, Math.floor((text.length * maxChars) / out.length));
    // Not half a surrogate pair.
    text = text.slice(0, keep).replace(/[\ud800-\udbff]$/, '');
    out = render({ ...line, text: `${text}…` });
  }
  return out;
}

/** `lines` in plain text, `render` escapes one for the platform; the lines are joined with line feeds. */
export function blocks(lines: DigestLine[], maxChars: number, render: (l: DigestLine) => string): Block[] {
  const out: Block[] = [];
  let cur: Block | null = null;
  for (const line of lines) {
    const text = fitted(line, render, maxChars);
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
