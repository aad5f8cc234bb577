import { ChangeDetectionStrategy, Component, PendingTasks, computed, effect, inject, resource, signal } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { Problem, Session, toProblem } from '@astro/shared';
import { Api as CommandApi } from '@astro/shared/api/command-api/api';
import { updateMine } from '@astro/shared/api/command-api/fn/profiles/update-mine';
import { Api as QueryApi } from '@astro/shared/api/query-api/api';
import { myProfile } from '@astro/shared/api/query-api/fn/profiles/my-profile';

import { asSentence, problemMessage } from '../../account/problem-message';
import {
  ProfileValues,
  emptyProfile,
  fromProfile,
  initialProfile,
  profileFieldErrors,
  profileOrNone,
  showsSave,
  toUpdateProfile,
} from '../profile-form';

type Controls = { [K in keyof ProfileValues]: FormControl<ProfileValues[K]> };

/** One text input of the form: its control, label and autocomplete hint. */
interface FieldSpec {
  readonly key: Exclude<keyof ProfileValues, 'kind'>;
  readonly label: string;
  readonly type?: string;
  readonly autocomplete?: string;
  readonly hint?: string;
}

const TRAVELER_FIELDS: readonly FieldSpec[] = [
  { key: 'fullName', label: 'Full name', autocomplete: 'name' },
  { key: 'birthDate', label: 'Date of birth', type: 'date', autocomplete: 'bday' },
];

const AGENCY_FIELDS: readonly FieldSpec[] = [
  { key: 'legalName', label: 'Legal name', autocomplete: 'organization' },
  { key: 'taxId', label: 'Tax (VAT) number', hint: '4 to 32 letters, digits, spaces, dots, dashes or slashes.' },
  { key: 'line1', label: 'Street address', autocomplete: 'address-line1' },
  { key: 'line2', label: 'Address line 2 (optional)', autocomplete: 'address-line2' },
  { key: 'city', label: 'City', autocomplete: 'address-level2' },
  { key: 'postalCode', label: 'Postal code', autocomplete: 'postal-code' },
  { key: 'country', label: 'Country code', autocomplete: 'country', hint: 'Two letters, like FR or US.' },
  { key: 'contactName', label: 'Contact person', autocomplete: 'name' },
  { key: 'contactEmail', label: 'Contact email', type: 'email', autocomplete: 'email' },
  { key: 'contactPhone', label: 'Contact phone', type: 'tel', autocomplete: 'tel' },
];

/** The signed-in user's profile (`/profile`): a traveler's or an agency's. */
@Component({
  selector: 'astro-profile-page',
  imports: [ReactiveFormsModule],
  templateUrl: './profile-page.html',
  styleUrl: './profile-page.css',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProfilePage {
  private readonly queryApi = inject(QueryApi);
  private readonly commandApi = inject(CommandApi);
  private readonly pendingTasks = inject(PendingTasks);
  private readonly session = inject(Session);
  private readonly role = computed(() => this.session.user()?.role ?? 'traveler');

  /** The stored profile as the query API reads it; null when there is none yet. */
  protected readonly stored = resource({ loader: () => profileOrNone(() => this.queryApi.invoke(myProfile)) });

  /** Which profile the form edits: the stored one's kind, else the signed-in user's. */
  protected readonly kind = computed<ProfileValues['kind']>(() => {
    const view = this.stored.hasValue() ? this.stored.value() : null;
    return view?.profile.kind ?? this.role();
  });

  protected readonly form = new FormGroup<Controls>(
    Object.fromEntries(
      Object.entries(emptyProfile('traveler')).map(([key, value]) => [key, new FormControl(value, { nonNullable: true })]),
    ) as unknown as Controls,
  );

  protected readonly saving = signal(false);
  protected readonly saved = signal(false);
  protected readonly problem = signal<Problem | null>(null);
  protected readonly errors = signal<Partial<Record<keyof ProfileValues | 'form', string>>>({});
  protected readonly problemMessage = problemMessage;
  protected readonly hasFieldErrors = computed(() => Object.keys(this.errors()).length > 0);

  constructor() {
    effect(() => {
      if (this.stored.hasValue()) {
        this.form.setValue(initialProfile(this.stored.value(), this.role()));
      }
    });
  }

  /** The inputs of the signed-in user's kind of profile. */
  protected fields(kind: ProfileValues['kind']): readonly FieldSpec[] {
    return kind === 'agency' ? AGENCY_FIELDS : kind === 'traveler' ? TRAVELER_FIELDS : TRAVELER_FIELDS.slice(0, 1);
  }

  protected save(): void {
    if (this.saving()) {
      return;
    }
    this.saving.set(true);
    this.saved.set(false);
    this.problem.set(null);
    this.errors.set({});
    void this.pendingTasks.run(async () => {
      try {
        const reply = await this.commandApi.invoke(updateMine, { body: toUpdateProfile(this.form.getRawValue()) });
        this.form.setValue(fromProfile(reply.profile));
        this.saved.set(true);
        await this.readBack(reply.version);
      } catch (error) {
        const problem = toProblem(error);
        if (problem.status === 422 && problem.errors.length > 0) {
          const byField = profileFieldErrors(problem.errors);
          this.errors.set(
            Object.fromEntries(Object.entries(byField).map(([key, message]) => [key, asSentence(message ?? '')])),
          );
        } else {
          this.problem.set(problem);
        }
      } finally {
        this.saving.set(false);
      }
    });
  }

  /**
   * Reads the profile back once the query API has the saved version, so
   * that the page, and a reload of it, shows what was saved rather than
   * what the read side had before.
   */
  private async readBack(version: number): Promise<void> {
    try {
      const response = await this.queryApi.invoke$Response(myProfile, version >= 1 ? { min_version: version } : {});
      if (showsSave(response.body, version, response.headers.get('Astro-Stale'))) {
        this.stored.set(response.body);
      }
    } catch {
      // The save went through (the PUT answered it); the form already shows its values.
    }
  }
}
