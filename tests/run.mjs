// Runs the suite headless through Cypress's module API and ends with one
// line the test command totals: `cypress result: N passed, M failed`.
// Arguments are passed to Cypress (e.g. `--spec api/auth/**`); the exit
// status is non-zero when a test failed or Cypress could not run.
import cypress from 'cypress';

const options = await cypress.cli.parseRunArguments(['cypress', 'run', ...process.argv.slice(2)]);
const results = await cypress.run({ browser: 'electron', headless: true, ...options });

if (results.status === 'failed') {
  // Cypress itself failed (no display, a broken config, ...).
  console.error(`cypress could not run: ${results.message}`);
  console.log('cypress result: 0 passed, 1 failed');
  process.exit(1);
}
const failed = results.totalFailed;
console.log(`cypress result: ${results.totalPassed} passed, ${failed} failed`);
if (failed > 0) {
  console.log('screenshots of the failures: .run/cypress/screenshots');
}
process.exit(failed > 0 ? 1 : 0);
