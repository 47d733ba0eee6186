import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, ConfigError, NetworkError } from '../../../src/core/errors.ts';
import { classifyHttpResponse, classifyRequestError, redactUrl } from '../../../src/sinks/http/classify.ts';
import { summarizeErrorBody } from '../../../src/sinks/http/error-body.ts';
import type { HttpResult } from '../../../src/sinks/http/http-request.ts';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const ctx = { what: 'test POST', nowMs: NOW };

function res(status: number, headers: Record<string, string> = {}, body = ''): HttpResult {
  return { status, headers, body };
}

describe('classifyHttpResponse', () => {
  const table: Array<[number, 'delivered' | 'retryable' | 'permanent' | 'blocked']> = [
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [301, 'permanent'],
    [400, 'permanent'],
    // After the one token refresh: the credentials are wrong, not the event.
    [401, 'blocked'],
    [403, 'permanent'],
    [404, 'permanent'],
    [405, 'permanent'],
    [406, 'permanent'],
    [408, 'retryable'],
    [409, 'permanent'],
    [413, 'permanent'],
    [415, 'permanent'],
    [422, 'permanent'],
    [425, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
    [507, 'retryable'],
  ];
  for (const [status, kind] of table) {
    it(`${status} → ${kind}`, () => {
      assert.equal(classifyHttpResponse(res(status), ctx).kind, kind);
    });
  }

  it('turns Retry-After seconds into retryAfterMs', () => {
    assert.deepEqual(classifyHttpResponse(res(429, { 'retry-after': '7' }), ctx), {
      kind: 'retryable',
      error: 'test POST: HTTP 429',
      retryAfterMs: 7000,
    });
  });

  it('turns a Retry-After HTTP date into milliseconds from now', () => {
    const at = new Date(NOW + 30_000).toUTCString();
    const outcome = classifyHttpResponse(res(503, { 'retry-after': at }), ctx);
    assert.equal(outcome.kind === 'retryable' ? outcome.retryAfterMs : -1, 30_000);
  });

  it('puts the ServiceNow error message and detail into the error', () => {
    const body = JSON.stringify({
      error: { message: 'Rate limit exceeded', detail: 'Rate limit of 10 requests per hour for Table API exceeded' },
      status: 'failure',
    });
    const outcome = classifyHttpResponse(res(429, { 'content-type': 'application/json' }, body), ctx);
    assert.equal(
      outcome.kind === 'retryable' ? outcome.error : '',
      'test POST: HTTP 429 Rate limit exceeded: Rate limit of 10 requests per hour for Table API exceeded',
    );
  });

  it('tells the user to check credentials on 401', () => {
    const outcome = classifyHttpResponse(res(401), { ...ctx, unauthorizedHint: 'check servicenow.auth' });
    assert.equal(outcome.kind, 'blocked');
    assert.match(outcome.kind === 'blocked' ? outcome.error : '', /authentication failed: check servicenow\.auth/);
  });

  it('names the redirect target without its query', () => {
    const outcome = classifyHttpResponse(res(302, { location: 'https://x.example/new?token=secret' }), ctx);
    assert.equal(outcome.kind, 'permanent');
    const error = outcome.kind === 'permanent' ? outcome.error : '';
    assert.match(error, /https:\/\/x\.example\/new/);
    assert.doesNotMatch(error, /secret/);
  });
});

describe('summarizeErrorBody', () => {
  it('keeps the <title> of an HTML maintenance page', () => {
    const html = '<!DOCTYPE html><html><head><title>Instance  Unavailable</title></head><body>long text…</body></html>';
    assert.equal(summarizeErrorBody(html, 'text/html'), 'Instance Unavailable');
  });

  it('strips tags and shortens an HTML page without a title', () => {
    const html = `<html><body><script>var x=1;</script><h1>Bad gateway</h1><p>${'word '.repeat(200)}</p></body></html>`;
    const summary = summarizeErrorBody(html, undefined);
    assert.ok(summary.startsWith('Bad gateway word'), summary);
    assert.ok(summary.length <= 200);
    assert.doesNotMatch(summary, /var x/);
  });

  it('reads OAuth error bodies', () => {
    const body = '{"error_description":"access_denied","error":"server_error"}';
    assert.equal(summarizeErrorBody(body), 'access_denied (server_error)');
  });

  it('reads a ServiceNow body whose detail is null', () => {
    assert.equal(
      summarizeErrorBody('{"error":{"message":"Invalid table x","detail":null},"status":"failure"}'),
      'Invalid table x',
    );
  });

  it('falls back to text for broken JSON and to "" for an empty body', () => {
    assert.equal(summarizeErrorBody('{"error": '), '{"error":');
    assert.equal(summarizeErrorBody('  \n'), '');
  });
});

describe('classifyRequestError', () => {
  it('treats connection refused and timeouts as retryable, with a readable reason', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.deepEqual(classifyRequestError(refused, 'x'), {
      kind: 'retryable',
      error: 'x: connection refused (ECONNREFUSED)',
    });
    const timeout = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    assert.equal(classifyRequestError(timeout, 'x').kind, 'retryable');
  });

  it('keeps the verdict of a RelayError', () => {
    assert.deepEqual(classifyRequestError(new AuthError('rejected (check a.b)', { retryable: false }), 'x'), {
      kind: 'blocked',
      error: 'x: rejected (check a.b)',
    });
    assert.equal(classifyRequestError(new ConfigError('sinks.x', 'bad'), 'x').kind, 'permanent');
    assert.deepEqual(classifyRequestError(new AuthError('busy', { retryable: true, retryAfterMs: 5 }), 'x'), {
      kind: 'retryable',
      error: 'x: busy',
      retryAfterMs: 5,
    });
    assert.equal(classifyRequestError(new NetworkError('down'), 'x').kind, 'retryable');
  });
});

describe('redactUrl', () => {
  it('drops credentials and query', () => {
    assert.equal(redactUrl('https://u:p@h.example:8443/a/b?sig=1'), 'https://h.example:8443/a/b');
  });
});
