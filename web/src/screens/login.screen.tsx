import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { Field, describeError } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session';

/** Sign-in with the directory account (POST /v1/auth/login). */
export function LoginScreen() {
  const { t } = useI18n();
  const { signIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(username.trim(), password);
    } catch (err) {
      setPassword('');
      if (err instanceof ApiError && err.status === 401) setError(t('login.failed'));
      else if (err instanceof ApiError && err.status === 429) setError(t('login.throttled'));
      else if (err instanceof ApiError && err.code === 'vendor_account') setError(t('login.vendorAccount'));
      else if (err instanceof ApiError && err.code === 'no_role') setError(t('login.noRole'));
      else setError(describeError(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="login card" aria-labelledby="login-title">
      <h1 id="login-title">{t('login.title')}</h1>
      <p>{t('login.intro')}</p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('login.username')} required>
          {(p) => <input {...p} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />}
        </Field>
        <Field label={t('login.password')} required>
          {(p) => (
            <input {...p} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy || !username || !password}>
          {busy ? t('login.signingIn') : t('login.submit')}
        </button>
      </form>
    </section>
  );
}
