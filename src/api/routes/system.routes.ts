import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { DirectoryUnavailable } from '../../errors.js';
import type { DirectoryPort } from '../../domain/ports/directory.port.js';
import { z } from 'zod';
import { route, type RouteSpec } from '../route.js';

/** Each dependency's check: `ok`, or `down: <why>; <fix>`. */
const readiness = z.object({ status: z.enum(['ready', 'not ready']), checks: z.record(z.string(), z.string()) });

async function check(name: string, probe: () => Promise<unknown>, timeoutMs: number): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
    return [name, 'ok'];
  } catch (err) {
    // A TLS problem names its cause and the fix, so that whoever reads the probe knows what to change.
    if (err instanceof DirectoryUnavailable) return [name, `down: ${err.reason}; ${err.fix}`];
    return [name, `down: ${(err as Error).message}`];
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness, readiness, metrics and the OpenAPI document; no token needed. */
export function systemRoutes(deps: { redis: Redis; directory: DirectoryPort; registry: Registry; openapi: () => unknown }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/healthz',
      roles: 'public',
      rateLimited: false,
      tag: 'system',
      summary: 'Liveness',
      operationId: 'getHealth',
      responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
      handle: () => Promise.resolve({ status: 200, body: { status: 'ok' } }),
    }),
    route({
      method: 'get',
      path: '/readyz',
      roles: 'public',
      rateLimited: false,
      tag: 'system',
      summary: 'Readiness: Redis and the directory reachable',
      operationId: 'getReadiness',
      responses: { 200: { description: 'ready', schema: readiness }, 503: { description: 'not ready, with the failing dependency', schema: readiness } },
      handle: async () => {
        const checks = Object.fromEntries(
          await Promise.all([check('redis', () => deps.redis.ping(), 2000), check('directory', () => deps.directory.ping(), 3000)]),
        );
        const ready = Object.values(checks).every((v) => v === 'ok');
        return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', checks } };
      },
    }),
    route({
      method: 'get',
      path: '/metrics',
      roles: 'public',
      rateLimited: false,
      tag: 'system',
      summary: 'Prometheus metrics',
      operationId: 'getMetrics',
      responses: { 200: { description: 'text exposition', schema: z.string(), contentTypes: ['text/plain'] } },
      handle: async ({ res }) => {
        res.setHeader('Content-Type', deps.registry.contentType);
        res.send(await deps.registry.metrics());
      },
    }),
    route({
      method: 'get',
      path: '/openapi.json',
      roles: 'public',
      tag: 'system',
      summary: 'This API as OpenAPI 3.1',
      operationId: 'getOpenApi',
      responses: { 200: { description: 'the document', schema: z.record(z.string(), z.unknown()) } },
      handle: () => Promise.resolve({ status: 200, body: deps.openapi() }),
    }),
  ];
}
