/*
 * What the notifications chart draws. The summary endpoint answers counts
 * as of now (no series over time), so the chart shows the counts by
 * status; the shaping is a pure function so that Jest checks it without a canvas.
 */
import type { Summary } from '@astro/shared/api/query-api/models/summary';

import { STATUSES, NotificationStatus } from './notification-query';

/** One bar: a status, its label and count, and its colour (AA against white, and named in the label). */
export interface ChartBar {
  readonly status: NotificationStatus;
  readonly label: string;
  readonly count: number;
  readonly colour: string;
}

const LABELS: Readonly<Record<NotificationStatus, string>> = {
  pending: 'Pending',
  sent: 'Sent',
  failed: 'Failed (retrying)',
  dead: 'Dead (waits for IT)',
};

// Dark enough for 4.5:1 on white, and told apart by their labels, not only by hue.
const COLOURS: Readonly<Record<NotificationStatus, string>> = {
  pending: '#1d4ed8',
  sent: '#166534',
  failed: '#92400e',
  dead: '#b91c1c',
};

/** The bars of the chart, in the order of the statuses' lifecycle. */
export function summaryBars(summary: Pick<Summary, 'counts'>): ChartBar[] {
  return STATUSES.map((status) => ({
    status,
    label: LABELS[status],
    count: summary.counts[status],
    colour: COLOURS[status],
  }));
}

/** The chart's one-sentence description for screen readers. */
export function chartDescription(bars: readonly ChartBar[]): string {
  return `Notifications by status: ${bars.map((bar) => `${bar.label} ${bar.count}`).join(', ')}.`;
}

/** A status for people: `dead` → `Dead (waits for IT)`. */
export function statusLabel(status: string): string {
  return (LABELS as Readonly<Record<string, string>>)[status] ?? status;
}
