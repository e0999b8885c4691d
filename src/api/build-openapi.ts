import { z } from 'zod';
import { errorSchema } from './common.schema.js';
import type { RouteSpec } from './route.js';

const ERRORS: Record<number, string> = {
  400: 'malformed request; details name each field',
  401: 'missing or invalid token',
  403: 'role does not allow it',
  404: 'not found',
  409: 'wrong state',
  422: 'refused by policy; details name each rule',
  429: 'rate limited',
  503: 'a dependency is down',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/**
 * A response body's JSON Schema. Schemas named with `.meta({ id })`
 * (response.schema.ts) become shared components, so that the typed client
 * has one `Request`, `Vendor`, … type instead of a copy per operation.
 */
function outputSchema(schema: z.ZodType, components: Record<string, unknown>): Record<string, unknown> {
  const { $defs, ...rest } = jsonSchema(schema, 'output') as { $defs?: Record<string, unknown> };
  const toComponents = (value: unknown): unknown => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/'));
  for (const [id, def] of Object.entries($defs ?? {})) components[id] = toComponents(def);
  return toComponents(rest) as Record<string, unknown>;
}

function sortedKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** OpenAPI 3.1, generated from the same route table and zod schemas that validate requests. */
export function buildOpenApi(routes: RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, unknown> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = r.query ? jsonSchema(r.query) : undefined;
    const queryParams = query?.properties
      ? Object.entries(query.properties as Record<string, unknown>).map(([name, schema]) => ({
          name,
          in: 'query',
          required: ((query.required as string[] | undefined) ?? []).includes(name) && !(schema as { default?: unknown }).default,
          schema,
        }))
      : [];
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      const schema = spec.schema ? outputSchema(spec.schema, components) : undefined;
      const content = spec.media
        ? Object.fromEntries(Object.entries(spec.media).map(([type, s]) => [type, { schema: outputSchema(s, components) }]))
        : schema && Object.fromEntries((spec.contentTypes ?? ['application/json']).map((type) => [type, { schema }]));
      responses[status] = { description: spec.description, ...(content ? { content } : {}) };
    }
    const errorCodes = r.roles === 'public' ? [503] : [400, 401, 403, 404, 409, 422, 429, 503];
    for (const code of errorCodes)
      responses[code] = { description: ERRORS[code], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    (paths[path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.roles === 'public' ? { security: [] } : { 'x-roles': [...r.roles, 'admin'] }),
      parameters: [...params, ...queryParams],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Leasehold', version, description: 'Time-bounded, approved, audited directory accounts for outside vendors.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchema(errorSchema, 'output'), ...sortedKeys(components) },
    },
    paths,
  };
}
