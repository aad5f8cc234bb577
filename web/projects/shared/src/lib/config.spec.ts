import { appConfigFromEnv, parseAppConfig } from './config';

describe('the app configuration', () => {
  const valid = {
    commandApiUrl: 'http://127.0.0.1:8081/',
    queryApiUrl: 'https://query.example.com',
    authApiUrl: 'http://127.0.0.1:8083',
    authAppUrl: 'http://127.0.0.1:4201',
    salesUrl: 'http://127.0.0.1:4200',
    clientId: 'sales',
  };

  it('accepts a complete document and drops trailing slashes', () => {
    expect(parseAppConfig(valid).commandApiUrl).toBe('http://127.0.0.1:8081');
    expect(parseAppConfig(valid).queryApiUrl).toBe('https://query.example.com');
  });

  it('names a missing key', () => {
    const { authApiUrl: _, ...rest } = valid;
    expect(() => parseAppConfig(rest)).toThrow('lacks authApiUrl');
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => parseAppConfig({ ...valid, salesUrl: 'javascript:alert(1)' })).toThrow(
      'not an http(s) URL',
    );
    expect(() => parseAppConfig({ ...valid, salesUrl: 'not a url' })).toThrow('is not a URL');
  });

  it('refuses what is not an object', () => {
    expect(() => parseAppConfig(null)).toThrow('not a JSON object');
  });

  it('reads the environment, with the demo ports for what is unset', () => {
    const config = appConfigFromEnv({ QUERY_API_URL: 'http://query:8082' }, 'sales');
    expect(config.queryApiUrl).toBe('http://query:8082');
    expect(config.commandApiUrl).toBe('http://127.0.0.1:8081');
    expect(config.clientId).toBe('sales');
  });
});
