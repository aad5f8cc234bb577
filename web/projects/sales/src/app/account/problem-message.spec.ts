import { Problem } from '@astro/shared';

import { asSentence, problemMessage } from './problem-message';

const problem = (status: number, detail = '', retryAfterSeconds?: number, type = 'about:blank'): Problem => ({
  type,
  status,
  title: 'Title',
  detail,
  errors: [],
  retryAfterSeconds,
});

describe('messages for failed calls', () => {
  it('tells that a retry is safe after a network failure only when it is', () => {
    expect(problemMessage(problem(0), true)).toMatch(/will not be done twice/);
    expect(problemMessage(problem(0))).not.toMatch(/twice/);
  });

  it('asks to sign in again after a 401', () => {
    expect(problemMessage(problem(401, 'token expired'))).toMatch(/sign in again/);
  });

  it('says how long to wait when the server said so', () => {
    expect(problemMessage(problem(429, '', 30))).toMatch(/in 30 seconds/);
    expect(problemMessage(problem(503))).toMatch(/in a moment/);
  });

  it('shows the server’s detail for other problems, or its title', () => {
    expect(problemMessage(problem(500, 'The database is down.'))).toBe('The database is down.');
    expect(problemMessage(problem(500))).toBe('Title');
  });

  it('words the refusals of a cancellation from the problem type', () => {
    expect(problemMessage(problem(409, 'the booking is already cancelled', undefined, '/problems/booking-already-cancelled'))).toBe(
      'This booking is already cancelled.',
    );
    expect(problemMessage(problem(409, 'the launch has departed', undefined, '/problems/launch-departed'))).toBe(
      'This launch has departed: its bookings can no longer be changed.',
    );
    expect(problemMessage(problem(409, 'Something else.'))).toBe('Something else.');
  });

  it('makes a sentence of a server field message', () => {
    expect(asSentence('must not be blank')).toBe('Must not be blank.');
    expect(asSentence('Enter a date.')).toBe('Enter a date.');
    expect(asSentence('')).toBe('');
  });
});
