import { EnvironmentProviders, InjectionToken, makeEnvironmentProviders } from '@angular/core';

import { ApiConfiguration as AuthApiConfiguration } from '../api/auth/api-configuration';
import { ApiConfiguration as CommandApiConfiguration } from '../api/command-api/api-configuration';
import { ApiConfiguration as QueryApiConfiguration } from '../api/query-api/api-configuration';

/**
 * What an app learns at run time, never baked into its bundle: the browser
 * reads it from `/config.json` served by the app's own web server, which
 * builds it from environment variables (see docs/configuration.md, "Web apps").
 */
export interface AppConfig {
  /** The command API as the browser reaches it, e.g. `http://127.0.0.1:8081`. */
  readonly commandApiUrl: string;
  /** The query API as the browser reaches it. */
  readonly queryApiUrl: string;
  /** The auth API as the browser reaches it. */
  readonly authApiUrl: string;
  /** The auth app (sign-in, registration), e.g. `http://127.0.0.1:4201`. */
  readonly authAppUrl: string;
  /** The public sales site, e.g. `http://127.0.0.1:4200`. */
  readonly salesUrl: string;
  /** This app's OAuth client id at the auth API (`sales`, `ops`, `backoffice`, or `auth` itself). */
  readonly clientId: string;
}

/** The app's run-time configuration. */
export const APP_CONFIG = new InjectionToken<AppConfig>('APP_CONFIG');

const KEYS: readonly (keyof AppConfig)[] = [
  'commandApiUrl',
  'queryApiUrl',
  'authApiUrl',
  'authAppUrl',
  'salesUrl',
  'clientId',
];

/**
 * Checks a configuration document: every key present, URLs absolute http(s)
 * without a trailing slash (so that paths join predictably).
 */
export function parseAppConfig(value: unknown): AppConfig {
  if (typeof value !== 'object' || value === null) {
    throw new Error('the app configuration is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  const config: Record<string, string> = {};
  for (const key of KEYS) {
    const field = record[key];
    if (typeof field !== 'string' || field.trim() === '') {
      throw new Error(`the app configuration lacks ${key}`);
    }
    if (key.endsWith('Url')) {
      let url: URL;
      try {
        url = new URL(field);
      } catch {
        throw new Error(`the app configuration's ${key} is not a URL: ${field}`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error(`the app configuration's ${key} is not an http(s) URL: ${field}`);
      }
      config[key] = field.replace(/\/+$/, '');
    } else {
      config[key] = field;
    }
  }
  return config as unknown as AppConfig;
}

/** Loads `/config.json` from the app's own server before the app starts. */
export async function fetchAppConfig(url = '/config.json'): Promise<AppConfig> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return parseAppConfig(await response.json());
}

/** The demo ports of `scripts/start.sh`, for an unset variable. */
const LOCAL = {
  COMMAND_API_URL: 'http://127.0.0.1:8081',
  QUERY_API_URL: 'http://127.0.0.1:8082',
  AUTH_API_URL: 'http://127.0.0.1:8083',
  AUTH_APP_URL: 'http://127.0.0.1:4201',
  SALES_URL: 'http://127.0.0.1:4200',
} as const;

/**
 * The configuration a web server hands its app, from its environment
 * (`COMMAND_API_URL`, `QUERY_API_URL`, `AUTH_API_URL`, `AUTH_APP_URL`,
 * `SALES_URL`; the demo ports when unset).
 */
export function appConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  clientId: string,
): AppConfig {
  const read = (name: keyof typeof LOCAL) => env[name]?.trim() || LOCAL[name];
  return parseAppConfig({
    commandApiUrl: read('COMMAND_API_URL'),
    queryApiUrl: read('QUERY_API_URL'),
    authApiUrl: read('AUTH_API_URL'),
    authAppUrl: read('AUTH_APP_URL'),
    salesUrl: read('SALES_URL'),
    clientId,
  });
}

/**
 * Provides the configuration and points each generated API client at its
 * service.
 */
export function provideAppConfig(config: AppConfig): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: APP_CONFIG, useValue: config },
    { provide: CommandApiConfiguration, useValue: { rootUrl: config.commandApiUrl } },
    { provide: QueryApiConfiguration, useValue: { rootUrl: config.queryApiUrl } },
    { provide: AuthApiConfiguration, useValue: { rootUrl: config.authApiUrl } },
  ]);
}
