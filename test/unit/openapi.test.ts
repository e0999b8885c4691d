import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_FILE, openApiDocument, openApiText } from '../../tools/openapi/export-openapi.js';

interface Operation {
  operationId?: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

function operations(doc: Record<string, unknown>): [string, Operation][] {
  return Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );
}

describe('the OpenAPI document', () => {
  const doc = openApiDocument();
  const ops = operations(doc);

  it('covers the whole route table', () => {
    expect(ops.length).toBeGreaterThan(40);
    expect(ops.map(([name]) => name)).toEqual(expect.arrayContaining(['POST /v1/tokens', 'DELETE /v1/tokens/{id}', 'GET /v1/groups', 'GET /v1/people']));
  });

  it('gives every operation an operationId, unique across the API', () => {
    const missing = ops.filter(([, op]) => !op.operationId).map(([name]) => name);
    expect(missing).toEqual([]);
    const ids = ops.map(([, op]) => op.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('gives every operation a success response, and every success response with a body its schema', () => {
    const problems: string[] = [];
    for (const [name, op] of ops) {
      const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      if (success.length === 0) problems.push(`${name}: no success response`);
      for (const [status, response] of success) {
        if (status === '204') continue;
        const content = Object.entries(response.content ?? {});
        if (content.length === 0 || content.some(([, media]) => !media.schema || Object.keys(media.schema).length === 0))
          problems.push(`${name} ${status}: no response schema`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('resolves every reference to a component', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    const components = Object.keys((doc.components as { schemas: Record<string, unknown> }).schemas);
    expect(refs.filter((r) => !components.includes(r))).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
  });

  // Formatting the whole document with Prettier takes 4–8 s on a busy 2-core machine: more than the default 5 s.
  it(
    'is committed as web/src/api/openapi.json exactly as the routes produce it (run `npm run openapi` after changing a route)',
    { timeout: 30_000 },
    async () => {
      expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(await openApiText());
    },
  );
});
