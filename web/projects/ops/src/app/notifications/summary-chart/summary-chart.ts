import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  InjectionToken,
  computed,
  effect,
  inject,
  input,
  viewChild,
} from '@angular/core';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';

import { ChartBar, chartDescription } from '../summary-chart-data';

/** A drawn chart the component can update and must destroy. */
export interface DrawnChart {
  update(bars: readonly ChartBar[]): void;
  destroy(): void;
}

/** Draws bars on a canvas; a token so that the specs (jsdom has no canvas) draw nothing. */
export const CHART_RENDERER = new InjectionToken<(canvas: HTMLCanvasElement, bars: readonly ChartBar[]) => DrawnChart>(
  'CHART_RENDERER',
  { providedIn: 'root', factory: () => drawWithChartJs },
);

// Only what a bar chart needs, so that the bundle carries no other chart type.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** The bars with Chart.js: no animation (it would distract a reader polling the page), no legend (the axis names each bar). */
export function drawWithChartJs(canvas: HTMLCanvasElement, bars: readonly ChartBar[]): DrawnChart {
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: bars.map((bar) => bar.label),
      datasets: [{ label: 'Notifications', data: bars.map((bar) => bar.count), backgroundColor: bars.map((bar) => bar.colour) }],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  return {
    update(next) {
      chart.data.labels = next.map((bar) => bar.label);
      chart.data.datasets[0].data = next.map((bar) => bar.count);
      chart.update();
    },
    destroy: () => chart.destroy(),
  };
}

/**
 * The notifications' counts by status as a bar chart, with the same
 * numbers as text (the canvas is an image to assistive technology).
 */
@Component({
  selector: 'astro-summary-chart',
  templateUrl: './summary-chart.html',
  styleUrl: './summary-chart.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SummaryChart {
  /** The bars to draw. */
  readonly bars = input.required<readonly ChartBar[]>();

  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('canvas');
  private readonly render = inject(CHART_RENDERER);
  private chart: DrawnChart | null = null;

  protected readonly description = computed(() => chartDescription(this.bars()));

  constructor() {
    effect(() => {
      const bars = this.bars();
      if (this.chart) {
        this.chart.update(bars);
      } else {
        this.chart = this.render(this.canvas().nativeElement, bars);
      }
    });
    // Chart.js holds listeners and a resize observer on the canvas.
    inject(DestroyRef).onDestroy(() => this.chart?.destroy());
  }
}
