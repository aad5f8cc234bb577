import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Session } from '@astro/shared';

/** The IT console's first page (its sections come with issue 16). */
@Component({
  selector: 'astro-home',
  template: `
    <section class="card stack">
      <h1>IT console</h1>
      <p>Signed in as {{ session.user()?.department }} employee.</p>
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Home {
  protected readonly session = inject(Session);
}
