import { HttpErrorResponse } from '@angular/common/http';

import { isLaunchId, isNotFound, problemOf } from './problem-of';

const notFound = new HttpErrorResponse({
  status: 404,
  statusText: 'Not Found',
  error: { title: 'Not found', detail: 'No launch has this id.', status: 404 },
});

describe('problemOf', () => {
  it('reads the problem of an HTTP error', () => {
    expect(problemOf(notFound)).toMatchObject({ status: 404, detail: 'No launch has this id.' });
  });

  it("unwraps an error that Angular's resource wrapped", () => {
    expect(problemOf(new Error('wrapped', { cause: notFound }))).toMatchObject({ status: 404 });
  });

  it('makes any other error a problem without a status', () => {
    expect(problemOf(new Error('boom'))).toMatchObject({ status: 0 });
  });
});

describe('isNotFound', () => {
  it('counts 404 and 422 (an id that is not one) as not found, nothing else', () => {
    const problem = (status: number) => ({ type: 'about:blank', status, title: '', detail: '', errors: [] });
    expect(isNotFound(problem(404))).toBe(true);
    expect(isNotFound(problem(422))).toBe(true);
    expect(isNotFound(problem(503))).toBe(false);
    expect(isNotFound(null)).toBe(false);
  });
});

describe('isLaunchId', () => {
  it('accepts a UUID in either case and nothing else', () => {
    expect(isLaunchId('0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11')).toBe(true);
    expect(isLaunchId('0B6F3A52-7C1D-4E1E-9A57-0D3A5C2B9E11')).toBe(true);
    expect(isLaunchId('not-a-launch')).toBe(false);
    expect(isLaunchId('0b6f3a52-7c1d-4e1e-9a57-0d3a5c2b9e11x')).toBe(false);
  });
});
