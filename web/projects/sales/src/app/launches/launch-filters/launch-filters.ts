import { ChangeDetectionStrategy, Component, effect, input, output, signal } from '@angular/core';
import { AbstractControl, FormControl, FormGroup, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { destinationLabel } from '@astro/shared';
import type { DestinationName } from '@astro/shared/api/query-api/models/destination-name';

import { DESTINATIONS, LaunchQuery, LaunchSort, SORTS, filterFormValue, queryFromForm } from '../launch-query';

/** The end date must not come before the start date (the query API refuses it). */
export function dateRangeValidator(group: AbstractControl): ValidationErrors | null {
  const from = group.get('from')?.value as string | undefined;
  const to = group.get('to')?.value as string | undefined;
  return from && to && to < from ? { range: true } : null;
}

/**
 * The list's filters and order. A plain GET form too (its names are the
 * URL's), so that it works before the JavaScript has loaded.
 */
@Component({
  selector: 'astro-launch-filters',
  imports: [ReactiveFormsModule, RouterLink],
  templateUrl: './launch-filters.html',
  styleUrl: './launch-filters.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LaunchFilters {
  /** The state shown now (from the URL). */
  readonly query = input.required<LaunchQuery>();
  /** The state the visitor asks for. */
  readonly apply = output<LaunchQuery>();

  protected readonly destinations = DESTINATIONS.map((value) => ({ value, label: destinationLabel(value) }));
  protected readonly sorts = SORTS;
  protected readonly submitted = signal(false);

  protected readonly form = new FormGroup(
    {
      destination: new FormControl<DestinationName | ''>('', { nonNullable: true }),
      from: new FormControl('', { nonNullable: true }),
      to: new FormControl('', { nonNullable: true }),
      minSeats: new FormControl<number | null>(1, [Validators.required, Validators.min(1), Validators.max(1_000_000)]),
      sort: new FormControl<LaunchSort>('departure', { nonNullable: true }),
    },
    { validators: dateRangeValidator },
  );

  constructor() {
    // Back and forward change the URL: the form follows it.
    effect(() => {
      this.form.setValue(filterFormValue(this.query()));
      this.submitted.set(false);
    });
  }

  protected seatsInvalid(): boolean {
    const control = this.form.controls.minSeats;
    return this.submitted() && (control.invalid || !Number.isInteger(control.value));
  }

  protected rangeInvalid(): boolean {
    return this.submitted() && this.form.hasError('range');
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.seatsInvalid() || this.rangeInvalid()) {
      return;
    }
    this.apply.emit(queryFromForm(this.form.getRawValue()));
  }
}
