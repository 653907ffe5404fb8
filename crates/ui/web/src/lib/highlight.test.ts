import { describe, expect, it } from 'vitest';
import { escapeHtml, highlightToHtml, splitHighlight } from './highlight';

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

describe('highlightToHtml', () => {
  function check(input: string, expected: string): void {
    expect(highlightToHtml(input)).toBe(expected);
  }

  it('escapes everything but the mark elements', () => {
    check('plain', 'plain');
    check('a <mark>b</mark> c', 'a <mark>b</mark> c');
    check('<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;');
    check('<mark><img src=x></mark>', '<mark>&lt;img src=x&gt;</mark>');
    check('"quoted" & \'single\'', '&quot;quoted&quot; &amp; &#39;single&#39;');
    check('<MARK>upper</MARK>', '&lt;MARK&gt;upper&lt;/MARK&gt;');
    check('<mark class="x">attr</mark>', '&lt;mark class=&quot;x&quot;&gt;attr');
    check('&lt;already&gt;', '&amp;lt;already&amp;gt;');
  });

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});
