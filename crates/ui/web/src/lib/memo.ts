// A small `memo` (Preact core has none; preact/compat would bring all of React compatibility).
import { Component, type FunctionComponent, h } from 'preact';

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.is(a[k], b[k]));
}

/** Re-renders `fn` only when a prop changed (shallow comparison). */
export function memo<P extends object>(fn: FunctionComponent<P>): FunctionComponent<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !shallowEqual(this.props as Record<string, unknown>, next as Record<string, unknown>);
    }
    override render(props: P) {
      return h(fn, props);
    }
  }
  (Memo as unknown as { displayName: string }).displayName = `Memo(${fn.displayName ?? fn.name})`;
  return Memo as unknown as FunctionComponent<P>;
}
