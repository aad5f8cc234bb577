import { chartDescription, statusLabel, summaryBars } from './summary-chart-data';

const counts = { pending: 2, sent: 40, failed: 1, dead: 3 };

describe('summaryBars', () => {
  it('gives one bar per status with its count, in lifecycle order', () => {
    const bars = summaryBars({ counts });
    expect(bars.map((bar) => [bar.status, bar.count])).toEqual([
      ['pending', 2],
      ['sent', 40],
      ['failed', 1],
      ['dead', 3],
    ]);
  });

  it('labels each bar in words and gives each status its own colour', () => {
    const bars = summaryBars({ counts });
    expect(bars.map((bar) => bar.label)).toEqual(['Pending', 'Sent', 'Failed (retrying)', 'Dead (waits for IT)']);
    expect(new Set(bars.map((bar) => bar.colour)).size).toBe(4);
  });

  it('keeps zero counts as bars', () => {
    expect(summaryBars({ counts: { pending: 0, sent: 0, failed: 0, dead: 0 } }).every((bar) => bar.count === 0)).toBe(true);
  });
});

describe('chartDescription and statusLabel', () => {
  it('describes the chart in one sentence', () => {
    expect(chartDescription(summaryBars({ counts }))).toBe(
      'Notifications by status: Pending 2, Sent 40, Failed (retrying) 1, Dead (waits for IT) 3.',
    );
  });

  it('names a status for people, or as the API does when unknown', () => {
    expect(statusLabel('dead')).toBe('Dead (waits for IT)');
    expect(statusLabel('queued')).toBe('queued');
  });
});
