import { BootstrapContext, bootstrapApplication } from '@angular/platform-browser';
import { appConfigFromEnv, provideAppConfig } from '@astro/shared';

import { App } from './app/app';
import { config } from './app/app.config.server';

const bootstrap = (context: BootstrapContext) =>
  bootstrapApplication(
    App,
    { providers: [...config.providers, provideAppConfig(appConfigFromEnv(process.env, 'sales'))] },
    context,
  );

export default bootstrap;
