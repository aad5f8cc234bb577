import { waitMessage } from './wait-message';

describe('the wait after too many attempts', () => {
  it('counts seconds under a minute', () => {
    expect(waitMessage(45)).toBe('Too many attempts. Try again in 45 seconds.');
    expect(waitMessage(1)).toBe('Too many attempts. Try again in 1 second.');
    expect(waitMessage(0.2)).toBe('Too many attempts. Try again in 1 second.');
  });

  it('counts whole minutes, rounded up, from a minute on', () => {
    expect(waitMessage(60)).toBe('Too many attempts. Try again in 1 minute.');
    expect(waitMessage(61)).toBe('Too many attempts. Try again in 2 minutes.');
    expect(waitMessage(900)).toBe('Too many attempts. Try again in 15 minutes.');
  });
});
