import { ChangeDetectionStrategy, Component, computed, effect, inject, resource, signal, untracked } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { ActivatedRoute, ParamMap, Router, RouterLink } from '@angular/router';
import { formatMoney, toProblem } from '@astro/shared';
import { Api } from '@astro/shared/api/query-api/api';
import { listInvoices } from '@astro/shared/api/query-api/fn/finance/list-invoices';
import type { KindName } from '@astro/shared/api/query-api/models/kind-name';

import { isoToLocal, localToIso } from '../../launches/launch-actions';
import {
  INVOICE_PAGE_SIZE,
  KINDS,
  invoiceFilterErrors,
  invoiceQueryFromForm,
  kindLabel,
  parseInvoiceQuery,
  serializeInvoiceQuery,
  toInvoiceParams,
} from '../invoice-query';
import { formatUtc } from '../ledger-format';

function rawParams(map: ParamMap): Record<string, string[]> {
  return Object.fromEntries(map.keys.map((key) => [key, map.getAll(key)]));
}

/** Finance's ledger: invoices and credit notes, filtered and paged by the URL, now or as it stood at an instant. */
@Component({
  selector: 'astro-invoices-page',
  imports: [ReactiveFormsModule, RouterLink],
  templateUrl: './invoices-page.html',
  styleUrl: './invoices-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class InvoicesPage {
  private readonly api = inject(Api);
  private readonly router = inject(Router);
  private readonly params = toSignal(inject(ActivatedRoute).queryParamMap, { requireSync: true });

  protected readonly kinds = KINDS;
  protected readonly formatMoney = formatMoney;
  protected readonly formatUtc = formatUtc;
  protected readonly kindLabel = kindLabel;

  protected readonly query = computed(() => parseInvoiceQuery(rawParams(this.params())), {
    equal: (a, b) => JSON.stringify(serializeInvoiceQuery(a)) === JSON.stringify(serializeInvoiceQuery(b)),
  });
  protected readonly documents = resource({
    params: () => this.query(),
    loader: ({ params }) => this.api.invoke(listInvoices, toInvoiceParams(params)),
  });
  protected readonly page = computed(() => (this.documents.hasValue() ? this.documents.value() : null));
  protected readonly pages = computed(() => Math.max(1, Math.ceil((this.page()?.total ?? 0) / INVOICE_PAGE_SIZE)));
  protected readonly loadProblem = computed(() => (this.documents.error() ? toProblem(this.documents.error()) : null));

  protected readonly filters = new FormGroup({
    year: new FormControl('', { nonNullable: true }),
    holder: new FormControl('', { nonNullable: true }),
    launch: new FormControl('', { nonNullable: true }),
    kind: new FormControl<KindName | ''>('', { nonNullable: true }),
    asOf: new FormControl('', { nonNullable: true }),
  });
  protected readonly errors = signal<Readonly<Record<string, string>>>({});

  constructor() {
    effect(() => {
      const query = this.query();
      untracked(() =>
        this.filters.setValue({
          year: query.year === null ? '' : String(query.year),
          holder: query.holder ?? '',
          launch: query.launch ?? '',
          kind: query.kind ?? '',
          asOf: query.asOf ? isoToLocal(query.asOf) : '',
        }),
      );
    });
  }

  /** The error of `field`, or null. */
  protected errorOf(field: string): string | null {
    return this.errors()[field] ?? null;
  }

  protected apply(): void {
    const raw = this.filters.getRawValue();
    const value = { ...raw, asOf: raw.asOf ? (localToIso(raw.asOf) ?? '') : '' };
    const errors = { ...invoiceFilterErrors(value) };
    if (raw.asOf && !value.asOf) {
      errors['asOf'] = 'Enter a date and time, or clear the field for the ledger as it stands now.';
    }
    this.errors.set(errors);
    if (Object.keys(errors).length === 0) {
      void this.router.navigate(['/invoices'], { queryParams: serializeInvoiceQuery(invoiceQueryFromForm(value)) });
    }
  }

  /** Back to the ledger as it stands now, other filters kept. */
  protected now(): void {
    void this.router.navigate(['/invoices'], { queryParams: serializeInvoiceQuery({ ...this.query(), asOf: null, page: 1 }) });
  }

  /** The URL's parameters of page `page`. */
  protected pageParams(page: number): Record<string, string> {
    return serializeInvoiceQuery({ ...this.query(), page });
  }

  /** A document link's query: the as-of instant travels with it. */
  protected documentParams(): Record<string, string> {
    const asOf = this.query().asOf;
    return asOf ? { as_of: asOf } : {};
  }

  protected retry(): void {
    this.documents.reload();
  }
}
