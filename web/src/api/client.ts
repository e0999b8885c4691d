import type { paths } from './schema';

/**
 * The console's one way to the API: typed by the OpenAPI document
 * (schema.d.ts, generated from openapi.json), cookies of the same origin,
 * and the session's CSRF token on every state-changing call.
 */

type Method = 'get' | 'post' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = M extends keyof paths[P] ? NonNullable<paths[P][M]> : never;
/** Paths that have operation M. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P] extends Record<M, infer O> ? ([O] extends [undefined] ? never : P) : never;
}[keyof paths];

type ParamsOf<O> = O extends { parameters: infer X } ? X : never;
type PathParams<O> = ParamsOf<O> extends { path?: infer X } ? ([X] extends [undefined] ? undefined : X) : undefined;
type QueryParams<O> = ParamsOf<O> extends { query?: infer X } ? ([X] extends [undefined] ? undefined : X) : undefined;
type BodyOf<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : undefined;
type Ok<O> = O extends { responses: infer R } ? R[Extract<keyof R, 200 | 201 | 202>] : never;
/** The success body: what the document says, or `unknown` where it says nothing yet. */
export type ResultOf<O> = Ok<O> extends { content: { 'application/json': infer J } } ? J : undefined;

export interface CallOptions<O> {
  path?: PathParams<O>;
  query?: QueryParams<O>;
  body?: BodyOf<O>;
}

/** One problem the API named: a field (`workDescription`, `groups.0`) or a policy rule. */
export interface ErrorDetail {
  field?: string;
  rule?: string;
  message: string;
  /** Clause 1.9: an exception may be filed for this broken rule. */
  relaxable?: boolean;
}

/** A refusal or failure from the API, as its error body says. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }

  /**
   * Messages per form field (the first segment after `body.`/`query.`),
   * so a form can show each beside its field; details without a field go
   * under `''` (shown above the buttons).
   */
  fieldErrors(text: (detail: ErrorDetail) => string = (d) => d.message): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const d of this.details) {
      const key = d.field ? (d.field.replace(/^(body|query|params)\.?/, '').split('.')[0] ?? '') : '';
      (out[key] ??= []).push(text(d));
    }
    return out;
  }
}

let csrfToken: string | undefined;
/** The token from the login or /me body; sent as X-CSRF-Token on POST/PATCH/DELETE. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called on any 401 so the app can go back to the sign-in page. */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

type Scalar = string | number | boolean | null | undefined;

function fill(template: string, params: Record<string, Scalar> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(String(params?.[name] ?? '')));
}

function queryString(query: Record<string, Scalar> | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '' && v !== null) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: ErrorDetail[] } };
    return new ApiError(res.status, body.error?.code ?? 'error', body.error?.message ?? res.statusText, body.error?.details ?? []);
  } catch {
    return new ApiError(res.status, 'error', res.statusText);
  }
}

/** The URL an operation is reached at (for downloads the browser fetches itself). */
export function urlOf(path: string, options: { path?: Record<string, Scalar>; query?: Record<string, Scalar> } = {}): string {
  return fill(path, options.path) + queryString(options.query);
}

async function call<O>(method: Method, path: string, options: CallOptions<O> = {}): Promise<ResultOf<O>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'get' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const url = urlOf(path, options as { path?: Record<string, Scalar>; query?: Record<string, Scalar> });
  const res = await fetch(url, {
    method: method.toUpperCase(),
    credentials: 'same-origin',
    headers,
    body: options.body === undefined ? (method === 'get' || method === 'delete' ? undefined : '{}') : JSON.stringify(options.body),
  });
  if (!res.ok) {
    const error = await errorOf(res);
    if (res.status === 401 && !path.startsWith('/v1/auth/login')) onUnauthenticated();
    throw error;
  }
  if (res.status === 204) return undefined as ResultOf<O>;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as ResultOf<O>;
}

/** Typed calls: `api.get('/v1/requests/{id}', { path: { id } })`. */
export const api = {
  get: <P extends PathsWith<'get'>>(path: P, options?: CallOptions<Operation<P, 'get'>>) => call<Operation<P, 'get'>>('get', path, options),
  post: <P extends PathsWith<'post'>>(path: P, options?: CallOptions<Operation<P, 'post'>>) => call<Operation<P, 'post'>>('post', path, options),
  patch: <P extends PathsWith<'patch'>>(path: P, options?: CallOptions<Operation<P, 'patch'>>) => call<Operation<P, 'patch'>>('patch', path, options),
  delete: <P extends PathsWith<'delete'>>(path: P, options?: CallOptions<Operation<P, 'delete'>>) => call<Operation<P, 'delete'>>('delete', path, options),
};
