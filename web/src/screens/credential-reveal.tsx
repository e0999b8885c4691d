import { useState } from 'react';
import { api } from '../api/client';
import { CopyButton, ErrorBox } from '../components/ui';
import { useI18n } from '../i18n/i18n';

/**
 * The one-time initial password (POST /v1/requests/:id/credentials): fetched
 * only when the requester asks, held in this component's memory only, gone
 * when they leave the page.
 */
export function CredentialReveal({ requestId, onTaken }: { requestId: string; onTaken: () => void }) {
  const { t } = useI18n();
  const [secret, setSecret] = useState<{ username?: string; password: string }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const reveal = async () => {
    setBusy(true);
    try {
      setSecret(await api.post('/v1/requests/{id}/credentials', { path: { id: requestId }, body: {} }));
    } catch (e) {
      setError(e);
      onTaken();
    } finally {
      setBusy(false);
    }
  };
  if (!secret)
    return (
      <div className="credential">
        <button type="button" className="primary" disabled={busy} onClick={() => void reveal()}>
          {t('detail.revealCredential')}
        </button>
        <ErrorBox error={error} />
      </div>
    );
  return (
    <div className="credential credential-shown" role="region" aria-label={t('detail.credentialLabel', { username: secret.username ?? '' })}>
      <p className="alert alert-warn">{t('detail.credentialOnce')}</p>
      <p>
        <span>{t('detail.credentialLabel', { username: secret.username ?? '' })}</span>
        <code className="secret">{secret.password}</code>
        <CopyButton text={secret.password} />
      </p>
    </div>
  );
}
