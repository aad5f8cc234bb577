import { mergeApplicationConfig } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { fetchAppConfig, provideAppConfig } from '@astro/shared';

import { App } from './app/app';
import { appConfig } from './app/app.config';

// The API URLs are run-time configuration, served by the app's own server.
fetchAppConfig()
  .then((config) =>
    bootstrapApplication(App, mergeApplicationConfig(appConfig, { providers: [provideAppConfig(config)] })),
  )
  .catch((error: unknown) => {
    console.error(error);
    document.body.textContent = 'This page cannot start: its configuration is unavailable. Please retry shortly.';
  });
