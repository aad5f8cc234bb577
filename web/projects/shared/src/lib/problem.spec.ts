import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';

import { fieldErrors, parseRetryAfter, problemCode, toProblem } from './problem';

const failure = (status: number, error: unknown, headers: Record<string, string> = {}) =>
  new HttpErrorResponse({ status, error, headers: new HttpHeaders(headers), url: 'http://127.0.0.1:8083/v1/x' });

describe('problems from failed calls', () => {
  it('reads a problem+json body with its field errors', () => {
    const problem = toProblem(
      failure(422, {
        type: '/problems/validation',
        title: 'Invalid request',
        status: 422,
        detail: 'Some fields are invalid',
        errors: [{ field: 'email', code: 'invalid', message: 'is not an email address' }],
      }),
    );
    expect(problem).toEqual({
      type: '/problems/validation',
      status: 422,
      title: 'Invalid request',
      detail: 'Some fields are invalid',
      errors: [{ field: 'email', code: 'invalid', message: 'is not an email address' }],
    });
  });

  it('keeps the type of a 409, which tells one refusal from another', () => {
    const problem = toProblem(
      failure(409, { type: '/problems/not-enough-seats', title: 'Conflict', status: 409, detail: 'only 1 seats are free, 2 requested' }),
    );
    expect(problem.type).toBe('/problems/not-enough-seats');
    expect(problemCode(problem)).toBe('not-enough-seats');
  });

  it('calls a problem without a type about:blank, as RFC 9457 does', () => {
    expect(toProblem(failure(409, { title: 'Conflict' })).type).toBe('about:blank');
    expect(toProblem(failure(502, '<html>Bad Gateway</html>')).type).toBe('about:blank');
    expect(toProblem(failure(409, { type: '  ' })).type).toBe('about:blank');
    expect(toProblem(new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') })).type).toBe('about:blank');
    expect(toProblem(new Error('boom')).type).toBe('about:blank');
  });

  it('reads the code of a relative or absolute problem type, and none of another form', () => {
    expect(problemCode({ type: '/problems/launch-departed' })).toBe('launch-departed');
    expect(problemCode({ type: 'https://api.example/problems/wrong-launch-status' })).toBe('wrong-launch-status');
    expect(problemCode({ type: 'about:blank' })).toBeNull();
    expect(problemCode({ type: '/problems/' })).toBeNull();
  });

  it('reads a problem that arrived as text', () => {
    const problem = toProblem(failure(409, JSON.stringify({ title: 'Conflict', detail: 'an account with this email already exists' })));
    expect(problem.detail).toBe('an account with this email already exists');
  });

  it('gives a friendly sentence for an answer that is not JSON', () => {
    const problem = toProblem(failure(502, '<html>Bad Gateway</html>'));
    expect(problem).toMatchObject({ status: 502, title: 'Service error', errors: [] });
    expect(problem.detail).toMatch(/went wrong on our side/);
  });

  it('says the service cannot be reached on a network failure', () => {
    const problem = toProblem(new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') }));
    expect(problem.status).toBe(0);
    expect(problem.detail).toMatch(/cannot reach the service/);
  });

  it('reads Retry-After as seconds to wait', () => {
    expect(toProblem(failure(429, { title: 'Too many requests' }, { 'Retry-After': '90' })).retryAfterSeconds).toBe(90);
    expect(toProblem(failure(422, {})).retryAfterSeconds).toBeUndefined();
  });

  it('reads Retry-After as an HTTP date, counted from now', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:02:00 GMT', now)).toBe(120);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('drops malformed field errors', () => {
    const problem = toProblem(failure(422, { errors: [{ field: 'email' }, 'nonsense', { field: 'password', message: 'too short' }] }));
    expect(problem.errors).toEqual([{ field: 'password', code: 'invalid', message: 'too short' }]);
  });

  it('turns anything else thrown into a general problem', () => {
    expect(toProblem(new Error('boom'))).toMatchObject({ status: 0, title: 'Unexpected error' });
  });

  it('indexes field errors by path, the first message of each field', () => {
    const problem = toProblem(
      failure(422, {
        errors: [
          { field: 'profile.full_name', code: 'blank', message: 'must not be blank' },
          { field: 'profile.full_name', code: 'too-long', message: 'too long' },
        ],
      }),
    );
    expect(fieldErrors(problem)).toEqual({ 'profile.full_name': 'must not be blank' });
    expect(fieldErrors(null)).toEqual({});
  });
});
