import { z } from 'zod';
import { ROLES, type TokenEntry } from '../../config/load-config.js';
import { Conflict } from '../../errors.js';
import type { MachineToken } from '../../tokens/machine-token.js';
import type { IssuedToken, TokenStore } from '../../tokens/token.store.js';
import { route, type RouteSpec } from '../route.js';
import { emptySchema } from '../common.schema.js';
import { issuedTokenView, listOf, tokenView } from '../response.schema.js';

const tokenCreateSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'letters, digits, _ . @ - (1–64)')
    .describe('unique; it is the actor named in the audit trail'),
  roles: z
    .array(z.enum(ROLES))
    .min(1)
    .max(ROLES.length)
    .refine((r) => new Set(r).size === r.length, 'each role once'),
});

const FILE_NOTE = 'bootstrap token from API_TOKENS_FILE: cannot be rotated or revoked through the API; edit the file and restart';

/** Bootstrap tokens are listed as `file:<name>`; they change only with the file. */
function refuseFileToken(id: string): void {
  if (id.startsWith('file:'))
    throw new Conflict(`${id.slice(5)} is a bootstrap token of API_TOKENS_FILE: edit the file and restart to change it`, [
      { rule: 'file_token', message: 'bootstrap tokens cannot be rotated or revoked through the API' },
    ]);
}

function apiToken(t: MachineToken) {
  return { ...t, source: 'api' as const, revocable: true };
}

/** The secret goes out once, in this response, and must not be cached anywhere on the way. */
function issued(res: { setHeader(name: string, value: string): unknown }, t: IssuedToken) {
  res.setHeader('Cache-Control', 'no-store');
  return { ...apiToken(t.token), token: t.secret };
}

/**
 * Admin: machine tokens (issue 11 item 2). Tokens made here live in Redis
 * and take effect, rotate and die at once in every API process; the
 * bootstrap tokens of API_TOKENS_FILE are listed too but change only by
 * editing the file and restarting.
 */
export function tokenRoutes(deps: { tokens: TokenStore; fileTokens: TokenEntry[] }): RouteSpec[] {
  const { tokens } = deps;
  return [
    route({
      method: 'post',
      path: '/v1/tokens',
      roles: ['admin'],
      tag: 'tokens',
      summary: 'Create a machine token; its secret is in this response only (stored as SHA-256)',
      body: tokenCreateSchema,
      operationId: 'createToken',
      responses: { 201: { description: 'the token with its secret, shown once', schema: issuedTokenView } },
      handle: async ({ actor, body, res }) => ({ status: 201, body: issued(res, await tokens.create(actor.name, body.name, body.roles)) }),
    }),
    route({
      method: 'get',
      path: '/v1/tokens',
      roles: ['admin'],
      tag: 'tokens',
      summary: 'Every machine token, never its secret: those made here, then the bootstrap tokens of API_TOKENS_FILE (not revocable here)',
      operationId: 'listTokens',
      responses: { 200: { description: 'the tokens', schema: listOf(tokenView) } },
      handle: async () => {
        const file = deps.fileTokens.map((t) => ({
          id: `file:${t.name}`,
          name: t.name,
          roles: t.roles,
          source: 'file' as const,
          revocable: false,
          note: FILE_NOTE,
        }));
        return { status: 200, body: { items: [...(await tokens.list()).map(apiToken), ...file] } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/tokens/:id/rotate',
      roles: ['admin'],
      tag: 'tokens',
      summary: 'A new secret for the token (shown once); the old one stops working at once',
      body: emptySchema,
      operationId: 'rotateToken',
      responses: { 200: { description: 'the token with its new secret, shown once', schema: issuedTokenView } },
      handle: async ({ actor, params, res }) => {
        refuseFileToken(params.id!);
        return { status: 200, body: issued(res, await tokens.rotate(actor.name, params.id!)) };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/tokens/:id',
      roles: ['admin'],
      tag: 'tokens',
      summary: 'Revoke a token made here; it stops working at once (bootstrap tokens: edit API_TOKENS_FILE and restart)',
      operationId: 'revokeToken',
      responses: { 200: { description: 'the token as it was', schema: tokenView } },
      handle: async ({ actor, params }) => {
        refuseFileToken(params.id!);
        return { status: 200, body: apiToken(await tokens.revoke(actor.name, params.id!)) };
      },
    }),
  ];
}
