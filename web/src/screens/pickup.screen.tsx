import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, type ErrorDetail } from '../api/client';
import type { components } from '../api/schema';
import { CopyButton, Field, describeError } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/zh-TW';
import { LanguageSwitch } from '../app';

type PickupStatus = components['schemas']['PickupStatus'];
type PickedUp = components['schemas']['PickedUpCredential'];
type Reason = NonNullable<PickupStatus['reason']>;

const REASONS: Record<Reason, MessageKey> = {
  unknown: 'pickup.invalid.unknown',
  used: 'pickup.invalid.used',
  expired: 'pickup.invalid.expired',
  burned: 'pickup.invalid.burned',
  unavailable: 'pickup.invalid.unavailable',
};

/**
 * The pickup endpoints without the console's client: no cookie goes with
 * them (credentials omitted) and no CSRF token is needed, since the link and
 * the code are the only authority (src/api/routes/handover.routes.ts).
 */
async function pickupCall<T>(token: string, body?: { code: string }): Promise<T> {
  const res = await fetch(`/v1/pickup/${encodeURIComponent(token)}`, {
    method: body ? 'POST' : 'GET',
    credentials: 'omit',
    cache: 'no-store',
    headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json().catch(() => ({}))) as T & { error?: { code?: string; message?: string; details?: ErrorDetail[] } };
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? 'error', json.error?.message ?? res.statusText, json.error?.details ?? []);
  return json;
}

/** The rule of a pickup refusal that says why the link is finished (`pickup_used` → used), if it is. */
function endedBy(error: unknown): Reason | undefined {
  if (!(error instanceof ApiError) || (error.status !== 410 && error.status !== 404)) return undefined;
  const rule = error.details[0]?.rule ?? '';
  if (rule === 'pickup_link') return 'unknown';
  const reason = rule.replace(/^pickup_/, '') as Reason;
  return reason in REASONS ? reason : 'unknown';
}

/**
 * The public page a vendor person opens from the pickup link (/pickup/<token>,
 * clauses 1.6.4, 1.1.9): no staff sign-in. They enter the code they were given
 * by phone and see their username and initial password once; the server
 * destroys it as it answers, and the link is taken out of the browser history.
 */
export function PickupScreen({ token }: { token: string }) {
  const { t, dateTime } = useI18n();
  const [status, setStatus] = useState<PickupStatus>();
  const [loadError, setLoadError] = useState<unknown>();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [ended, setEnded] = useState<Reason>();
  const [picked, setPicked] = useState<PickedUp>();

  useEffect(() => {
    pickupCall<PickupStatus>(token).then((s) => {
      setStatus(s);
      if (!s.valid) setEnded(s.reason ?? 'unknown');
    }, setLoadError);
  }, [token]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await pickupCall<PickedUp>(token, { code: code.replace(/\s+/g, '') });
      setPicked(result);
      // The link is spent: keep it out of the history and of a reload.
      window.history.replaceState(null, '', '/pickup');
    } catch (err) {
      setCode('');
      const reason = endedBy(err);
      const left = err instanceof ApiError ? (err.details[0] as { attemptsLeft?: number } | undefined)?.attemptsLeft : undefined;
      if (reason) setEnded(reason);
      else if (left !== undefined) {
        setError(t('pickup.wrongCode', { left }));
        setStatus((s) => s && { ...s, attemptsLeft: left });
      } else setError(describeError(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <header className="topbar">
        <span className="brand">{t('app.name')}</span>
        <div className="topbar-end">
          <LanguageSwitch />
        </div>
      </header>
      <main id="main" className="pickup">
        <section className="card" aria-labelledby="pickup-title">
          <h1 id="pickup-title">{t('pickup.title')}</h1>
          {picked ? (
            <div className="credential credential-shown" role="region" aria-label={t('pickup.password')}>
              <p className="alert alert-warn">{t('pickup.once')}</p>
              <dl>
                <dt>{t('pickup.username')}</dt>
                <dd>
                  <code className="secret" data-testid="pickup-username">
                    {picked.username ?? ''}
                  </code>
                </dd>
                <dt>{t('pickup.password')}</dt>
                <dd>
                  <code className="secret" data-testid="pickup-password">
                    {picked.password}
                  </code>{' '}
                  <CopyButton text={picked.password} />
                </dd>
              </dl>
              {picked.mustChangeAtFirstLogon && <p>{t('pickup.mustChange')}</p>}
              <p>{t('pickup.keepSecret')}</p>
            </div>
          ) : ended ? (
            <p className="alert alert-error" role="alert">
              {t(REASONS[ended])}
            </p>
          ) : loadError ? (
            <p className="alert alert-error" role="alert">
              {describeError(loadError, t)}
            </p>
          ) : !status ? (
            <p role="status">{t('pickup.checking')}</p>
          ) : (
            <>
              <p>{t('pickup.intro')}</p>
              <p className="muted">{t('pickup.expires', { at: dateTime(status.expiresAt), left: status.attemptsLeft ?? 0 })}</p>
              <form onSubmit={(e) => void submit(e)} noValidate>
                <Field label={t('pickup.code')} required>
                  {(p) => (
                    <input
                      {...p}
                      name="code"
                      inputMode="numeric"
                      autoComplete="one-time-code"
                      maxLength={12}
                      value={code}
                      onChange={(e) => setCode(e.target.value)}
                      autoFocus
                    />
                  )}
                </Field>
                {error && (
                  <div className="alert alert-error" role="alert">
                    {error}
                  </div>
                )}
                <button type="submit" className="primary" disabled={busy || code.replace(/\s+/g, '').length !== 8}>
                  {t('pickup.submit')}
                </button>
              </form>
            </>
          )}
        </section>
      </main>
    </>
  );
}
