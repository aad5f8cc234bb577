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
export * from './lib/session/browser-location';
export * from './lib/session/callback/sign-in-callback';
export * from './lib/session/guards';
export * from './lib/session/interceptor';
export * from './lib/session/pkce';
export * from './lib/session/return-url';
export * from './lib/session/sign-on-api';
export * from './lib/session/start/sign-in-start';
export * from './lib/session/forbidden';
