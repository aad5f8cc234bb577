/*
 * What every web app of the workspace shares: run-time configuration, the
 * generated API clients (under ./api, imported by path, e.g.
 * `@astro/shared/api/query-api/api`), sessions and sign-on, problem+json
 * errors, formatting.
 */
export * from './lib/config';
export * from './lib/format';
export * from './lib/problem';
export * from './lib/session/session';
