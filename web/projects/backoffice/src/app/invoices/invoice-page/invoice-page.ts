import { ChangeDetectionStrategy, Component, DOCUMENT, computed, inject, input, resource, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { destinationLabel, formatMoney, toProblem } from '@astro/shared';
import { Api } from '@astro/shared/api/query-api/api';
import { getInvoice } from '@astro/shared/api/query-api/fn/finance/get-invoice';
import { getInvoicePdf } from '@astro/shared/api/query-api/fn/finance/get-invoice-pdf';

import { creditReasonLabel, kindLabel, pdfFileName, validInstant } from '../invoice-query';
import { formatUtc, saveBlob } from '../ledger-format';

/** One invoice or credit note (`/invoices/:number`), with its lines, its payer and its PDF; `?as_of=` reads it as it stood then. */
@Component({
  selector: 'astro-invoice-page',
  imports: [RouterLink],
  templateUrl: './invoice-page.html',
  styleUrl: './invoice-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class InvoicePage {
  /** The document's number, from the route. */
  readonly number = input.required<string>();
  /** The as-of instant, from the query (`as_of`), if any. */
  readonly as_of = input<string | undefined>();

  private readonly api = inject(Api);
  private readonly doc = inject(DOCUMENT);

  protected readonly formatMoney = formatMoney;
  protected readonly formatUtc = formatUtc;
  protected readonly kindLabel = kindLabel;
  protected readonly creditReasonLabel = creditReasonLabel;
  protected readonly destinationLabel = destinationLabel;

  protected readonly asOf = computed(() => validInstant(this.as_of() ?? null));
  protected readonly document = resource({
    params: () => ({ number: this.number(), ...(this.asOf() ? { as_of: this.asOf()! } : {}) }),
    loader: ({ params }) => this.api.invoke(getInvoice, params),
  });
  protected readonly detail = computed(() => (this.document.hasValue() ? this.document.value() : null));
  protected readonly loadProblem = computed(() => (this.document.error() ? toProblem(this.document.error()) : null));
  protected readonly listParams = computed(() => (this.asOf() ? { as_of: this.asOf()! } : {}));

  protected readonly downloading = signal(false);
  protected readonly downloadProblem = signal<string | null>(null);

  /** Fetches the PDF with the bearer token (never in a URL) and saves it. */
  protected async download(): Promise<void> {
    if (this.downloading()) {
      return;
    }
    this.downloading.set(true);
    this.downloadProblem.set(null);
    try {
      const blob = await this.api.invoke(getInvoicePdf, { number: this.number(), ...(this.asOf() ? { as_of: this.asOf()! } : {}) });
      saveBlob(this.doc, blob, pdfFileName(this.number()));
    } catch (error) {
      this.downloadProblem.set(`We could not download the PDF. ${toProblem(error).detail}`);
    } finally {
      this.downloading.set(false);
    }
  }

  /** The holder's name as the payer says it, or a placeholder while the profile is not projected. */
  protected payerName(payer: { kind: string; full_name?: string | null; legal_name?: string | null }): string {
    return (payer.kind === 'agency' ? payer.legal_name : payer.full_name) ?? 'Not known yet';
  }

  /** A field of the kind-specific part of a document (the generated union has no common keys). */
  protected field(detail: object, key: string): unknown {
    return (detail as Record<string, unknown>)[key];
  }
}
