import {
  MAX_BACKOFF_MS,
  POLL_MS,
  freshnessLabel,
  isStale,
  dependenciesOf,
  lagLabel,
  nextDelay,
  partTone,
  secondsSince,
  serviceLabel,
  serviceTone,
  versionOf,
} from './status-model';

describe('serviceTone and serviceLabel', () => {
  it('shows a ready service green and says "ready"', () => {
    expect(serviceTone('ready')).toBe('ok');
    expect(serviceLabel('ready')).toBe('ready');
  });

  it('shows a degraded service amber, and a down one red with the reason in words', () => {
    expect(serviceTone('degraded')).toBe('warn');
    for (const down of ['unavailable', 'unreachable', 'halted', 'something-new']) {
      expect(serviceTone(down)).toBe('bad');
    }
    expect(serviceLabel('unreachable')).toBe('unreachable: no answer');
    expect(serviceLabel('something-new')).toBe('something-new');
  });

  it('reads the other parts the same way', () => {
    expect(partTone('ok')).toBe('ok');
    expect(partTone('degraded')).toBe('warn');
    expect(partTone('unavailable')).toBe('bad');
  });
});

describe('freshness', () => {
  it('counts whole seconds since the last answer, never below zero', () => {
    expect(secondsSince(10_000, 14_999)).toBe(4);
    expect(secondsSince(10_000, 9_000)).toBe(0);
  });

  it('says how long ago in seconds, then minutes', () => {
    expect(freshnessLabel(0)).toBe('updated 0 s ago');
    expect(freshnessLabel(119)).toBe('updated 119 s ago');
    expect(freshnessLabel(185)).toBe('updated 3 min ago');
  });

  it('calls the state stale once three polls are missed', () => {
    expect(isStale(3)).toBe(false);
    expect(isStale(10)).toBe(false);
    expect(isStale(11)).toBe(true);
  });
});

describe('nextDelay', () => {
  it('polls every 3 s while the answers come', () => {
    expect(nextDelay(0)).toBe(POLL_MS);
  });

  it('backs off by doubling after each failure, up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 50].map(nextDelay)).toEqual([6000, 12000, 24000, MAX_BACKOFF_MS, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
  });
});

describe('lagLabel', () => {
  it('says whether a projection is caught up, and how far behind otherwise', () => {
    expect(lagLabel(0)).toBe('caught up');
    expect(lagLabel(12)).toBe('12 s behind');
    expect(lagLabel(200)).toBe('3 min behind');
    expect(lagLabel(null)).toBe('unknown');
  });
});

describe('versionOf and dependenciesOf', () => {
  it("reads a version from a service's /ready body, or none", () => {
    expect(versionOf({ status: 'ready', version: '1.4.2' })).toBe('1.4.2');
    expect(versionOf({ status: 'ready' })).toBeNull();
    expect(versionOf(null)).toBeNull();
  });

  it('lists what the body says of each dependency, leaving status, version and nested values out', () => {
    expect(dependenciesOf({ status: 'unavailable', version: '1', mongo: 'up', postgres: 'down', finance: { position: 3 } })).toBe(
      'mongo: up · postgres: down',
    );
    expect(dependenciesOf('not json')).toBe('');
  });
});
