/** A browser-like client for staff sign-in: keeps the session cookie and sends the CSRF token and Origin on writes. */
export interface StaffReply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface StaffClient {
  /** The session cookie's value, once signed in. */
  cookie?: string;
  csrfToken?: string;
  /** Set-Cookie of the last sign-in, as the server wrote it. */
  setCookie?: string;
  login(username: string, password: string, origin?: string): Promise<StaffReply>;
  /** A request with the cookie; `headers` override the CSRF token and Origin it would send. */
  call<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string | undefined>): Promise<StaffReply<T>>;
}

async function reply<T>(res: Response): Promise<StaffReply<T>> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** A client for the service at `baseUrl` whose writes come from `origin` (PUBLIC_URL's). */
export function staffClient(baseUrl: string, origin?: string): StaffClient {
  const client: StaffClient = {
    async login(username, password, from = origin) {
      const res = await fetch(`${baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(from ? { origin: from } : {}) },
        body: JSON.stringify({ username, password }),
      });
      const r = await reply(res);
      if (r.status === 200) {
        client.setCookie = res.headers.get('set-cookie') ?? undefined;
        client.cookie = /leasehold_session=([^;]+)/.exec(client.setCookie ?? '')?.[1];
        client.csrfToken = (r.body as { csrfToken: string }).csrfToken;
      }
      return r;
    },
    async call(method, path, body, headers = {}) {
      const base: Record<string, string | undefined> = {
        ...(client.cookie ? { cookie: `leasehold_session=${client.cookie}` } : {}),
        ...(method !== 'GET' ? { 'x-csrf-token': client.csrfToken, origin } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      };
      const sent = Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
      return reply(await fetch(baseUrl + path, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) }));
    },
  };
  return client;
}
