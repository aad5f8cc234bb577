import { Injectable, Signal, inject, signal } from '@angular/core';
import { Api as CommandApi } from '@astro/shared/api/command-api/api';
import { register } from '@astro/shared/api/command-api/fn/rockets/register';
import type { RegisterRocket } from '@astro/shared/api/command-api/models/register-rocket';
import type { RocketRegisteredReply } from '@astro/shared/api/command-api/models/rocket-registered-reply';

/** A rocket as the pages pick it. */
export interface KnownRocket {
  readonly id: string;
  readonly name: string;
  readonly capacity: number;
  readonly range: RegisterRocket['range'];
}

const STORAGE_KEY = 'astro.backoffice.rockets';

/** A registration's answer as a rocket to pick. */
export function knownRocket(reply: RocketRegisteredReply): KnownRocket {
  return { id: reply.rocket_id, name: reply.name, capacity: reply.capacity, range: reply.range };
}

/** Rockets read back from storage, dropping anything that is not one. */
export function parseStoredRockets(text: string | null): KnownRocket[] {
  try {
    const value: unknown = text === null ? [] : JSON.parse(text);
    return Array.isArray(value)
      ? value.filter(
          (item): item is KnownRocket =>
            typeof item === 'object' && item !== null && typeof item.id === 'string' && typeof item.name === 'string',
        )
      : [];
  } catch {
    return [];
  }
}

/**
 * The rockets the pages offer, and their registration. The one place that
 * knows where the list comes from: the query API has no `GET /v1/rockets`
 * yet, so the list is the rockets registered in this browser session; when
 * the endpoint lands, `rockets` loads it here and no page changes.
 */
@Injectable({ providedIn: 'root' })
export class RocketRegistry {
  private readonly commandApi = inject(CommandApi);
  private readonly known = signal<KnownRocket[]>(this.read());

  /** The rockets to pick from, newest first. */
  readonly rockets: Signal<readonly KnownRocket[]> = this.known.asReadonly();

  /** Whether the list holds every rocket (false: only this session's, until the API lists them). */
  readonly complete = false;

  /** Registers a rocket at the command API and adds it to the list (errors are the caller's to show). */
  async register(body: RegisterRocket): Promise<KnownRocket> {
    const rocket = knownRocket(await this.commandApi.invoke(register, { body }));
    this.known.update((rockets) => [rocket, ...rockets.filter((known) => known.id !== rocket.id)]);
    this.write(this.known());
    return rocket;
  }

  private read(): KnownRocket[] {
    try {
      return typeof sessionStorage === 'undefined' ? [] : parseStoredRockets(sessionStorage.getItem(STORAGE_KEY));
    } catch {
      return [];
    }
  }

  private write(rockets: readonly KnownRocket[]): void {
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(rockets));
    } catch {
      // Storage disabled: the list lasts as long as the page.
    }
  }
}
