import { describe, expect, it } from 'vitest';
import { splitHighlight } from './highlight';

describe('splitHighlight', () => {
  it('splits plain and marked runs', () => {
    expect(splitHighlight('user <mark>login</mark> failed')).toEqual([
      { text: 'user ', mark: false },
      { text: 'login', mark: true },
      { text: ' failed', mark: false },
    ]);
    expect(splitHighlight('<mark>a</mark><mark>b</mark>')).toEqual([{ text: 'ab', mark: true }]);
    expect(splitHighlight('')).toEqual([]);
  });

  it('leaves markup that is not a mark tag as text (to be rendered, never parsed)', () => {
    expect(splitHighlight('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>', mark: false }]);
    expect(splitHighlight('<MARK>upper</MARK> <mark class="x">attr</mark>')).toEqual([
      { text: '<MARK>upper</MARK> <mark class="x">attr', mark: false },
    ]);
    expect(splitHighlight('&lt;<mark>&amp;</mark>')).toEqual([
      { text: '&lt;', mark: false },
      { text: '&amp;', mark: true },
    ]);
  });

  it('keeps other tags as text and balances stray mark tags', () => {
    expect(splitHighlight('<b>x</b> <mark><script>y</script></mark>')).toEqual([
      { text: '<b>x</b> ', mark: false },
      { text: '<script>y</script>', mark: true },
    ]);
    expect(splitHighlight('</mark>a<mark>b')).toEqual([
      { text: 'a', mark: false },
      { text: 'b', mark: true },
    ]);
  });
});
