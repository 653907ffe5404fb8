import type { ApiError } from '../api';

export interface ErrorCalloutProps {
  error: ApiError;
  /** The query text, to point at a syntax error's position. */
  query?: string;
  /** The data view pattern, for "No index matches …". */
  pattern?: string;
  /** Polling for recovery (shows a line saying so). */
  retrying?: boolean;
}

export function errorTitle(error: ApiError, pattern?: string): string {
  switch (error.type) {
    case 'kql_syntax_error':
      return 'KQL syntax error';
    case 'lucene_syntax_error':
      return 'Lucene syntax error';
    case 'index_not_found_exception':
      return `No index matches ${pattern ?? 'the data view'}`;
    case 'backend_unreachable':
      return 'Cannot reach the backend';
    case 'backend_unauthorized':
      return 'The backend refused the credentials';
    case 'network_error':
      return 'Cannot reach the sluice ui server';
    case 'bad_request':
    case 'not_found':
    case 'unknown':
      return 'The request failed';
    default:
      // An error the backend answered for the request (Elasticsearch's type, passed through).
      return error.status === 400 ? `The backend refused the query (${error.type})` : `The backend failed (${error.type})`;
  }
}

/** An error shown in place (role=alert), with the reason, the hint and a syntax error's position. */
export function ErrorCallout({ error, query, pattern, retrying }: ErrorCalloutProps) {
  const pos = error.position;
  const line = pos && query !== undefined ? query.split('\n')[pos.line - 1] : undefined;
  const hint =
    error.hint ??
    (error.type === 'index_not_found_exception'
      ? 'Check the data view pattern, or wait until events are indexed.'
      : null);
  return (
    <div role="alert" class="callout callout-danger">
      <p class="callout-title">{errorTitle(error, pattern)}</p>
      <p class="callout-reason">{error.reason}</p>
      {pos && line !== undefined && (
        <pre class="error-caret" aria-label={`Error at line ${pos.line}, column ${pos.column}`}>
          {line}
          {'\n'}
          {' '.repeat(Math.max(0, pos.column - 1))}^
        </pre>
      )}
      {pos && (
        <p class="callout-position">
          at line {pos.line}, column {pos.column}
        </p>
      )}
      {hint && <p class="callout-hint">{hint}</p>}
      {retrying && <p class="callout-retry">Retrying every 2 seconds…</p>}
    </div>
  );
}
