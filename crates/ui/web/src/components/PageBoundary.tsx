import type { ComponentChildren } from 'preact';
import { useErrorBoundary } from 'preact/hooks';

/**
 * Catches an exception thrown while rendering a page, so that one bad render shows an error in
 * place (with a way back) instead of leaving a half-updated page behind. The App keys it on the
 * path: moving to another page starts clean.
 */
export function PageBoundary({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary((e: unknown) => {
    console.error('sluice ui: a page failed to render', e);
  });
  if (!error) return <>{children}</>;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <section class="page">
      <div role="alert" class="callout callout-danger">
        <p>
          <strong>This page failed to render:</strong> {message}
        </p>
        <button type="button" class="button" onClick={() => reset()}>
          Try again
        </button>
      </div>
    </section>
  );
}
