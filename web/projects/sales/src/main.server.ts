import { HTTP_TRANSFER_CACHE_ORIGIN_MAP } from '@angular/common/http';
import { BootstrapContext, bootstrapApplication } from '@angular/platform-browser';
import { appConfigFromEnv, provideAppConfig } from '@astro/shared';
import { ApiConfiguration as QueryApiConfiguration } from '@astro/shared/api/query-api/api-configuration';

import { App } from './app/app';
import { config } from './app/app.config.server';
import { queryApiInternalUrl, transferCacheOriginMap } from './server/internal-api';

const appConfig = appConfigFromEnv(process.env, 'sales');
const queryApiUrl = queryApiInternalUrl(process.env, appConfig.queryApiUrl);

const bootstrap = (context: BootstrapContext) =>
  bootstrapApplication(
    App,
    {
      providers: [
        ...config.providers,
        provideAppConfig(appConfig),
        // Server-side calls take the internal address; the browser, hydrating,
        // finds their answers under the public one.
        { provide: QueryApiConfiguration, useValue: { rootUrl: queryApiUrl } },
        { provide: HTTP_TRANSFER_CACHE_ORIGIN_MAP, useValue: transferCacheOriginMap(queryApiUrl, appConfig.queryApiUrl) },
      ],
    },
    context,
  );

export default bootstrap;
