// The black-box suite: the API integration specs (api/) and the browser
// end-to-end specs (e2e/). Every address and credential comes from the
// environment, so the same suite runs against the local system, the
// isolated stack the test command starts, or a deployed environment
// (docs/testing.md). The defaults are the demo system of scripts/start.sh.
import { plugin as cypressGrepPlugin } from '@cypress/grep/plugin';
import { defineConfig } from 'cypress';

const setting = (name: string, fallback = ''): string => process.env[name] ?? fallback;

export default defineConfig({
  // Everything a run leaves behind goes under .run/cypress (ignored by git).
  screenshotsFolder: '../.run/cypress/screenshots',
  videosFolder: '../.run/cypress/videos',
  downloadsFolder: '../.run/cypress/downloads',
  fixturesFolder: false,
  video: false,
  env: {
    commandApi: setting('ASTRO_COMMAND_API_URL', 'http://127.0.0.1:8081'),
    queryApi: setting('ASTRO_QUERY_API_URL', 'http://127.0.0.1:8082'),
    auth: setting('ASTRO_AUTH_URL', 'http://127.0.0.1:8083'),
    notifier: setting('ASTRO_NOTIFIER_URL', 'http://127.0.0.1:8084'),
    maildev: setting('ASTRO_MAILDEV_URL', 'http://127.0.0.1:1080'),
    // The web apps (e2e/): the sales site, the auth app, the IT console, the backoffice.
    salesUrl: setting('ASTRO_SALES_URL', 'http://127.0.0.1:4200'),
    authAppUrl: setting('ASTRO_AUTH_APP_URL', 'http://127.0.0.1:4201'),
    opsAppUrl: setting('ASTRO_OPS_APP_URL', 'http://127.0.0.1:4202'),
    backofficeAppUrl: setting('ASTRO_BACKOFFICE_APP_URL', 'http://127.0.0.1:4203'),
    // An account of every role (astro-stack seeds them; against another
    // environment, give that environment's): its token, email and id, and
    // the password they share.
    ...Object.fromEntries(
      ['TRAVELER', 'AGENCY', 'OPERATIONS', 'FINANCE', 'IT'].flatMap((role) => [
        [`token_${role.toLowerCase()}`, setting(`ASTRO_TOKEN_${role}`)],
        [`email_${role.toLowerCase()}`, setting(`ASTRO_EMAIL_${role}`)],
        [`user_id_${role.toLowerCase()}`, setting(`ASTRO_USER_ID_${role}`)],
      ]),
    ),
    password: setting('ASTRO_PASSWORD'),
    launchId: setting('ASTRO_LAUNCH_ID'),
    scheduledLaunchId: setting('ASTRO_SCHEDULED_LAUNCH_ID'),
    bookingId: setting('ASTRO_BOOKING_ID'),
    invoiceNumber: setting('ASTRO_INVOICE_NUMBER'),
    notificationId: setting('ASTRO_NOTIFICATION_ID'),
  },
  e2e: {
    setupNodeEvents(on, config) {
      // `--env grepTags=@smoke` runs the smoke subset only (docs/testing.md).
      cypressGrepPlugin(config);
      on('task', {
        // Sends the requests all at once from Node (cy.request runs one at
        // a time) and answers each one's status and body, in order.
        async concurrently(requests: { method: string; url: string; headers: Record<string, string>; body?: unknown }[]) {
          return Promise.all(
            requests.map(async (r) => {
              const response = await fetch(r.url, {
                method: r.method,
                headers: { 'Content-Type': 'application/json', ...r.headers },
                body: r.body === undefined ? undefined : JSON.stringify(r.body),
              });
              const text = await response.text();
              let body: unknown = text;
              try {
                body = JSON.parse(text);
              } catch {
                // Not JSON: keep the text.
              }
              return { status: response.status, body };
            }),
          );
        },
      });
      return config;
    },
    specPattern: ['api/**/*.cy.ts', 'e2e/**/*.cy.ts'],
    supportFile: 'support/e2e.ts',
    // API specs answer in milliseconds; a slow answer is a finding.
    defaultCommandTimeout: 10000,
    requestTimeout: 10000,
  },
});
