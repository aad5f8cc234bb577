import { ChangeDetectionStrategy, Component, effect, input, output, signal } from '@angular/core';
import { AbstractControl, FormControl, FormGroup, ReactiveFormsModule, ValidationErrors } from '@angular/forms';
import { RouterLink } from '@angular/router';

import {
  NotificationQuery,
  NotificationStatus,
  STATUSES,
  filterFormValue,
  isBookingId,
  queryFromForm,
} from '../notification-query';
import { statusLabel } from '../summary-chart-data';

/** The last day must not come before the first (the query API refuses it). */
export function dayRangeValidator(group: AbstractControl): ValidationErrors | null {
  const from = group.get('from')?.value as string | undefined;
  const to = group.get('to')?.value as string | undefined;
  return from && to && to < from ? { range: true } : null;
}

/** A booking id must be a UUID (the query API answers 422 otherwise). */
export function bookingIdValidator(control: AbstractControl): ValidationErrors | null {
  return isBookingId(String(control.value ?? '')) ? null : { bookingId: true };
}

/** The notifications list's filters: status, recipient, booking and days. */
@Component({
  selector: 'astro-notification-filters',
  imports: [ReactiveFormsModule, RouterLink],
  templateUrl: './notification-filters.html',
  styleUrl: './notification-filters.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotificationFilters {
  /** The state shown now (from the URL). */
  readonly query = input.required<NotificationQuery>();
  /** The state IT asks for. */
  readonly apply = output<NotificationQuery>();

  protected readonly statuses = STATUSES.map((value) => ({ value, label: statusLabel(value) }));
  protected readonly submitted = signal(false);

  protected readonly form = new FormGroup(
    {
      status: new FormControl<NotificationStatus | ''>('', { nonNullable: true }),
      recipient: new FormControl('', { nonNullable: true }),
      bookingId: new FormControl('', { nonNullable: true, validators: bookingIdValidator }),
      from: new FormControl('', { nonNullable: true }),
      to: new FormControl('', { nonNullable: true }),
    },
    { validators: dayRangeValidator },
  );

  constructor() {
    // Back and forward change the URL: the form follows it.
    effect(() => {
      this.form.setValue(filterFormValue(this.query()));
      this.submitted.set(false);
    });
  }

  protected bookingInvalid(): boolean {
    return this.submitted() && this.form.controls.bookingId.invalid;
  }

  protected rangeInvalid(): boolean {
    return this.submitted() && this.form.hasError('range');
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.bookingInvalid() || this.rangeInvalid()) {
      return;
    }
    this.apply.emit(queryFromForm(this.form.getRawValue()));
  }
}
