// Regenerates the typed API clients of projects/shared from each service's
// OpenAPI document, with ng-openapi-gen (never hand-written DTOs).
//
//   npm run generate:api            # from the documents committed in projects/shared/openapi/
//   npm run generate:api -- --fetch # first downloads them from the running services
//
// --fetch reads the services' URLs from ASTRO_COMMAND_API_URL, ASTRO_QUERY_API_URL and
// ASTRO_AUTH_URL (as astro-stack exports them), else the demo ports of scripts/start.sh.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const services = [
  { name: 'command-api', url: process.env.ASTRO_COMMAND_API_URL ?? 'http://127.0.0.1:8081' },
  { name: 'query-api', url: process.env.ASTRO_QUERY_API_URL ?? 'http://127.0.0.1:8082' },
  { name: 'auth', url: process.env.ASTRO_AUTH_URL ?? 'http://127.0.0.1:8083' },
];

const specDir = join(root, 'projects/shared/openapi');
mkdirSync(specDir, { recursive: true });
for (const { name, url } of services) {
  const spec = join(specDir, `${name}.json`);
  if (process.argv.includes('--fetch')) {
    const response = await fetch(`${url}/openapi.json`);
    if (!response.ok) {
      throw new Error(`${url}/openapi.json answered ${response.status}`);
    }
    // Pretty-printed so that a change to the API reads as a diff.
    writeFileSync(spec, JSON.stringify(await response.json(), null, 2) + '\n');
  }
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/ng-openapi-gen/lib/index.js'),
      '--input', spec,
      '--output', join(root, 'projects/shared/src/api', name),
      '--ignoreUnusedModels', 'false',
      '--silent', 'true',
    ],
    { stdio: 'inherit', cwd: root },
  );
  console.log(`generated projects/shared/src/api/${name} from ${spec}`);
}
