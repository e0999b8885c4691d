import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiError, api, setCsrfToken, whenUnauthenticated } from './api/client';
import type { ConsoleConfig, Me, Role } from './api/views';
import { useI18n } from './i18n/i18n';

/** Who is signed in (GET /v1/auth/me), and signing in and out. */
interface Session {
  me: Me | null;
  /** The service's time zone and policy (GET /v1/console/config), once signed in. */
  config: ConsoleConfig | null;
  /** True until the first /me answer: nothing is shown before it. */
  checking: boolean;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** Whether the signed-in person holds any of these roles (admin holds every one, as in the API). */
  can: (...roles: Role[]) => boolean;
}

const Context = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const { setTimeZone } = useI18n();
  const [me, setMeState] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const setMe = useCallback(
    (next: Me | null) => {
      setCsrfToken(next?.csrfToken ?? undefined);
      setMeState(next);
    },
    [setTimeZone],
  );
  useEffect(() => {
    whenUnauthenticated(() => setMe(null));
    api
      .get('/v1/auth/me')
      .then(setMe)
      .catch(() => setMe(null))
      .finally(() => setChecking(false));
  }, [setMe]);
  const signIn = useCallback(
    async (username: string, password: string) => {
      setMe(await api.post('/v1/auth/login', { body: { username, password } }));
    },
    [setMe],
  );
  const signOut = useCallback(async () => {
    try {
      await api.post('/v1/auth/logout');
    } catch (e) {
      // Already signed out (401) is the outcome asked for.
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    }
    setMe(null);
  }, [setMe]);
  useEffect(() => {
    if (!me) return setConfig(null);
    api.get('/v1/console/config').then(
      (c) => {
        setTimeZone(c.timeZone);
        setConfig(c);
      },
      // Without it the form still checks every rule on submit, and dates use the default zone.
      () => setConfig(null),
    );
  }, [me, setTimeZone]);
  const can = useCallback((...roles: Role[]) => !!me && (me.roles.includes('admin') || roles.some((r) => me.roles.includes(r))), [me]);
  return <Context.Provider value={{ me, config, checking, signIn, signOut, can }}>{children}</Context.Provider>;
}

export function useSession(): Session {
  const v = useContext(Context);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
