/*
 * What every web app of the workspace shares: run-time configuration, the
 * generated API clients (under ./api, imported by path), sessions and
 * sign-on, problem+json errors, formatting.
 */
export * from './lib/config';
