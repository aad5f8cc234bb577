import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { ChartBar, summaryBars } from '../summary-chart-data';
import { CHART_RENDERER, SummaryChart } from './summary-chart';

@Component({
  imports: [SummaryChart],
  template: `@if (shown()) { <astro-summary-chart [bars]="bars()" /> }`,
})
class Host {
  readonly bars = signal<readonly ChartBar[]>(summaryBars({ counts: { pending: 1, sent: 5, failed: 0, dead: 2 } }));
  readonly shown = signal(true);
}

describe('SummaryChart', () => {
  const drawn: (readonly ChartBar[])[] = [];
  const updated: (readonly ChartBar[])[] = [];
  let destroyed = 0;

  beforeEach(() => {
    drawn.length = 0;
    updated.length = 0;
    destroyed = 0;
    TestBed.configureTestingModule({
      providers: [
        {
          provide: CHART_RENDERER,
          useValue: (_canvas: HTMLCanvasElement, bars: readonly ChartBar[]) => {
            drawn.push(bars);
            return { update: (next: readonly ChartBar[]) => updated.push(next), destroy: () => destroyed++ };
          },
        },
      ],
    });
  });

  it('draws the bars once, describes the canvas and repeats the counts as text', async () => {
    const fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
    expect(drawn).toHaveLength(1);
    const canvas = (fixture.nativeElement as HTMLElement).querySelector('canvas')!;
    expect(canvas.getAttribute('role')).toBe('img');
    expect(canvas.getAttribute('aria-label')).toBe(
      'Notifications by status: Pending 1, Sent 5, Failed (retrying) 0, Dead (waits for IT) 2.',
    );
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="counts"]')?.textContent).toContain('Dead (waits for IT): 2');
  });

  it('updates the same chart when the counts change, and destroys it with the component', async () => {
    const fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
    fixture.componentInstance.bars.set(summaryBars({ counts: { pending: 0, sent: 6, failed: 0, dead: 0 } }));
    await fixture.whenStable();
    expect(drawn).toHaveLength(1);
    expect(updated.at(-1)?.map((bar) => bar.count)).toEqual([0, 6, 0, 0]);
    fixture.componentInstance.shown.set(false);
    await fixture.whenStable();
    expect(destroyed).toBe(1);
  });
});
