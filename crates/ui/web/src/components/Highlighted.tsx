import { splitHighlight } from '../lib/highlight';

/** Backend highlight fragments rendered as text nodes, with only the matches in <mark>. */
export function Highlighted({ fragments }: { fragments: string[] }) {
  return (
    <>
      {fragments.map((fragment, i) => (
        <span key={i}>
          {i > 0 && ' … '}
          {splitHighlight(fragment).map((s, j) => (s.mark ? <mark key={j}>{s.text}</mark> : s.text))}
        </span>
      ))}
    </>
  );
}
