/**
 * `npm run openapi`: writes the OpenAPI document of the route table to
 * web/src/api/openapi.json, from which the console's client is typed
 * (`npm run web:types`). No server, Redis or directory is started: the route
 * files are built with stand-in dependencies that throw if anything calls
 * them, which nothing does until a request arrives. test/unit/openapi.test.ts
 * fails when the committed file differs from what the routes produce.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { apiRoutes, type ApiRouteDeps } from '../../src/api/api-routes.js';
import { buildOpenApi } from '../../src/api/build-openapi.js';
import type { RouteSpec } from '../../src/api/route.js';
import { policySchema } from '../../src/config/policy.schema.js';

export const OPENAPI_FILE = fileURLToPath(new URL('../../web/src/api/openapi.json', import.meta.url));

/** A stand-in for any dependency: every property is another stand-in, and calling one throws, naming it. */
function standIn<T>(name: string): T {
  const call = () => {
    throw new Error(`export-openapi: ${name}() was called while building the routes; route files must not use their dependencies before a request`);
  };
  return new Proxy(call, {
    // Not thenable: `await` on a stand-in must not look like a promise.
    get: (_target, prop): unknown => (prop === 'then' ? undefined : standIn<unknown>(`${name}.${String(prop)}`)),
    apply: call,
  }) as T;
}

/** The route table the API serves, built with stand-ins: for its schemas only, never to handle a request. */
export function routeTable(): RouteSpec[] {
  const deps: ApiRouteDeps = {
    auth: { ...standIn<ApiRouteDeps['auth']>('auth'), cookieSecure: true },
    // The console routes read the policy when built (to withhold webhook secrets): the defaults stand in for it.
    console: { policy: policySchema.parse({}), timeZone: 'Asia/Taipei' },
    system: standIn('system'),
    vendors: standIn('vendors'),
    personExport: standIn('personExport'),
    evidence: { evidence: standIn('evidence'), timeZone: 'Asia/Taipei' },
    requests: standIn('requests'),
    handover: standIn('handover'),
    sessions: standIn('sessions'),
    audit: standIn('audit'),
    tokens: { tokens: standIn('tokens'), fileTokens: [] },
    lookups: standIn('lookups'),
    roomVisits: standIn('roomVisits'),
  };
  return apiRoutes(deps);
}

/** The document the API serves at /openapi.json, built from the same route table without starting anything. */
export function openApiDocument(): Record<string, unknown> {
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return buildOpenApi(routeTable(), version);
}

/** The document as the committed file holds it: formatted by the project's Prettier settings. */
export async function openApiText(): Promise<string> {
  const options = (await prettier.resolveConfig(OPENAPI_FILE)) ?? {};
  return prettier.format(JSON.stringify(openApiDocument()), { ...options, filepath: OPENAPI_FILE });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_FILE, await openApiText());
  console.log(`wrote ${OPENAPI_FILE}`);
}
