import { describe, expect, it } from 'vitest';
import { toApiError } from './api';

describe('toApiError', () => {
  it('reads the API error body', () => {
    const e = toApiError(400, {
      error: {
        status: 400, type: 'kql_syntax_error', reason: "expected a value after ':'", hint: 'fix the query',
        position: { offset: 6, line: 1, column: 7 },
      },
    });
    expect([e.status, e.type, e.reason, e.hint, e.position]).toEqual([
      400, 'kql_syntax_error', "expected a value after ':'", 'fix the query', { offset: 6, line: 1, column: 7 },
    ]);
    expect(e.isSyntax).toBe(true);
    expect(e.isTransient).toBe(false);
  });

  it('classifies retryable errors', () => {
    expect(toApiError(502, { error: { type: 'backend_unreachable', reason: 'x' } }).isUnreachable).toBe(true);
    expect(toApiError(404, { error: { type: 'index_not_found_exception', reason: 'x' } }).isTransient).toBe(true);
    expect(toApiError(502, { error: { type: 'backend_unauthorized', reason: 'x' } }).isTransient).toBe(false);
  });

  it('survives bodies that are not the contract', () => {
    const e = toApiError(500, 'oops');
    expect([e.status, e.type, e.reason, e.hint, e.position]).toEqual([500, 'unknown', 'request failed with status 500', null, null]);
    expect(toApiError(500, { error: 'boom' }).reason).toBe('boom');
    expect(toApiError(400, { error: { reason: 'r', position: { offset: 'x' } } }).position).toBeNull();
  });
});
