// Highlighted fragments come from the backend as plain text with `<mark>`/`</mark>` tags around the
// matches. Everything else in them is untrusted text: the runs are rendered as text nodes (Preact
// escapes them) inside or outside <mark> elements; nothing is ever parsed as HTML.

export interface Segment {
  text: string;
  mark: boolean;
}

const TAG = /<(\/?)mark>/g;

/** Splits a fragment into plain and marked runs; stray or nested tags are balanced, never echoed. */
export function splitHighlight(fragment: string): Segment[] {
  const out: Segment[] = [];
  let depth = 0;
  let last = 0;
  const push = (text: string): void => {
    if (text === '') return;
    const mark = depth > 0;
    const prev = out[out.length - 1];
    if (prev && prev.mark === mark) prev.text += text;
    else out.push({ text, mark });
  };
  for (const m of fragment.matchAll(TAG)) {
    push(fragment.slice(last, m.index));
    depth = m[1] === '/' ? Math.max(0, depth - 1) : depth + 1;
    last = m.index + m[0].length;
  }
  push(fragment.slice(last));
  return out;
}
