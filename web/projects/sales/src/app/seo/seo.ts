import { DOCUMENT, Injectable, RESPONSE_INIT, inject } from '@angular/core';
import { Meta, Title } from '@angular/platform-browser';
import { APP_CONFIG } from '@astro/shared';

import { PageMeta } from './page-meta';

/**
 * Puts a page's metadata into the document — `<title>`, the description, the
 * canonical link, `noindex` for error pages — and, on the server, the HTTP
 * status of the response, so that crawlers read them in the rendered HTML.
 */
@Injectable({ providedIn: 'root' })
export class Seo {
  private readonly title = inject(Title);
  private readonly meta = inject(Meta);
  private readonly document = inject(DOCUMENT);
  private readonly config = inject(APP_CONFIG);
  // Only the server renders a response; in the browser this is null.
  private readonly response = inject(RESPONSE_INIT, { optional: true });

  /** Shows `page`'s metadata, replacing the previous page's. */
  apply(page: PageMeta): void {
    this.title.setTitle(page.title);
    this.meta.updateTag({ name: 'description', content: page.description });
    if (page.noIndex) {
      this.meta.updateTag({ name: 'robots', content: 'noindex' });
    } else {
      this.meta.removeTag('name="robots"');
    }
    this.setCanonical(page.path === null ? null : `${this.config.salesUrl}${page.path}`);
  }

  /** The HTTP status of the server's response (e.g. 404); nothing in the browser. */
  status(code: number): void {
    if (this.response) {
      this.response.status = code;
    }
  }

  private setCanonical(href: string | null): void {
    let link = this.document.head.querySelector<HTMLLinkElement>('link[rel="canonical"]');
    if (href === null) {
      link?.remove();
      return;
    }
    if (!link) {
      link = this.document.createElement('link');
      link.setAttribute('rel', 'canonical');
      this.document.head.appendChild(link);
    }
    link.setAttribute('href', href);
  }
}
