// Commands every spec shares: calling a service and checking a response
// against the schema in that service's own /openapi.json.
import { responseSchemaErrors, type OpenApiDocument } from './openapi';

/** The services of the system, by the name of their base URL in Cypress.env. */
export type Service = 'commandApi' | 'queryApi' | 'auth' | 'notifier';

export interface ApiOptions {
  /** A bearer token (sent as `Authorization: Bearer …`). */
  token?: string;
  body?: Cypress.RequestBody;
  headers?: Record<string, string>;
  qs?: Record<string, string | number | boolean>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Cypress {
    interface Chainable {
      /** A request to `service` that never fails on its status: specs assert it. */
      api(service: Service, method: string, path: string, options?: ApiOptions): Chainable<Response<unknown>>;
      /**
       * Asserts that `response` is one the service documents for `method`
       * `template` (an OpenAPI path such as `/v1/launches/{launch_id}`): its
       * status is declared and its body matches the declared schema.
       */
      matchesSpec(service: Service, method: string, template: string, response: Response<unknown>): Chainable<void>;
    }
  }
}

Cypress.Commands.add('api', (service: Service, method: string, path: string, options: ApiOptions = {}) => {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) {
    headers.Authorization = `Bearer ${options.token}`;
  }
  return cy.request({
    method,
    url: `${Cypress.env(service)}${path}`,
    body: options.body,
    headers,
    qs: options.qs,
    failOnStatusCode: false,
    // Keep tokens out of the command log.
    log: false,
  });
});

const documents = new Map<Service, OpenApiDocument>();

Cypress.Commands.add('matchesSpec', (service: Service, method: string, template: string, response: Cypress.Response<unknown>) => {
  const check = (document: OpenApiDocument) => {
    const errors = responseSchemaErrors(document, method, template, response.status, response.headers['content-type'], response.body);
    expect(errors, `${method.toUpperCase()} ${template} → ${response.status} matches ${service}'s /openapi.json`).to.deep.equal([]);
  };
  const known = documents.get(service);
  if (known) {
    check(known);
    return;
  }
  cy.request({ url: `${Cypress.env(service)}/openapi.json`, log: false }).then((answer) => {
    const document = answer.body as OpenApiDocument;
    documents.set(service, document);
    check(document);
  });
});

/** The roles of the seeded accounts. */
export type Role = 'traveler' | 'agency' | 'operations' | 'finance' | 'it';

/** The seeded account's bearer token of `role`. */
export const tokenOf = (role: Role): string => Cypress.env(`token_${role}`) as string;

/** An email no other run uses (specs create their own accounts). */
export const uniqueEmail = (label: string): string =>
  `${label}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}@cypress.example`;

/** Asserts an RFC 9457 problem of `status` and `/problems/<code>`. */
export function expectProblem(response: Cypress.Response<unknown>, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).to.equal(status);
  expect(response.headers['content-type']).to.match(/^application\/problem\+json/);
  const body = response.body as { type: string; status: number };
  expect(body.type).to.equal(`/problems/${code}`);
  expect(body.status).to.equal(status);
}

/** The fields a 422 names, sorted. */
export const fieldsOf = (response: Cypress.Response<unknown>): string[] =>
  ((response.body as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field).sort();

/**
 * Repeats `request` until `done` holds for its response, every 200 ms, for
 * at most `timeoutMs`; then yields that response (read models, emails and
 * logs arrive asynchronously). Fails with the last response otherwise.
 */
export function eventually(
  request: () => Cypress.Chainable<Cypress.Response<unknown>>,
  done: (response: Cypress.Response<unknown>) => boolean,
  what: string,
  timeoutMs = 20000,
): Cypress.Chainable<Cypress.Response<unknown>> {
  const deadline = Date.now() + timeoutMs;
  const attempt = (): Cypress.Chainable<Cypress.Response<unknown>> =>
    request().then((response) => {
      if (done(response)) {
        return cy.wrap(response, { log: false });
      }
      if (Date.now() > deadline) {
        throw new Error(`${what}: not within ${timeoutMs} ms; last answer ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
      }
      return cy.wait(200, { log: false }).then(attempt);
    });
  return attempt();
}
