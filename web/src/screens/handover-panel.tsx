import { useState } from 'react';
import { api } from '../api/client';
import type { AccessRequest } from '../api/views';
import { CopyButton, ErrorBox } from '../components/ui';
import { useI18n } from '../i18n/i18n';

/**
 * The requester's "hand over to the vendor person" (POST
 * /v1/requests/:id/handover, clauses 1.6.4, 1.1.9): a one-time pickup link and
 * an 8-digit code, shown once and held in this component's memory only. The
 * requester passes the link on by mail or chat and the code by phone; the
 * password itself never reaches this screen.
 */
export function HandoverPanel({ request: r, pickupHours, onIssued }: { request: AccessRequest; pickupHours: number; onIssued: () => void }) {
  const { t, dateTime } = useI18n();
  const [ticket, setTicket] = useState<{ pickupUrl: string; code: string; expiresAt: string }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const h = r.handover;
  const issue = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setTicket(await api.post('/v1/requests/{id}/handover', { path: { id: r.id }, body: {} }));
      onIssued();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="handover card" aria-labelledby="handover-title">
      <h2 id="handover-title">{t('handover.title')}</h2>
      <p>{t('handover.explain', { hours: pickupHours })}</p>
      {ticket ? (
        <div className="credential credential-shown" role="region" aria-label={t('handover.link')}>
          <p className="alert alert-warn">{t('handover.once')}</p>
          <dl>
            <dt>{t('handover.link')}</dt>
            <dd>
              <code className="secret" data-testid="handover-link">
                {ticket.pickupUrl}
              </code>{' '}
              <CopyButton text={ticket.pickupUrl} label={t('handover.copyLink')} />
            </dd>
            <dt>{t('handover.code')}</dt>
            <dd>
              <code className="secret" data-testid="handover-code">
                {ticket.code}
              </code>{' '}
              <CopyButton text={ticket.code} label={t('handover.copyCode')} />
            </dd>
            <dt>{t('handover.validUntil')}</dt>
            <dd>{dateTime(ticket.expiresAt)}</dd>
          </dl>
        </div>
      ) : (
        h &&
        !h.usedAt && (
          <p className={h.burnedAt ? 'alert alert-warn' : 'muted'}>
            {h.burnedAt ? t('handover.burned') : t('handover.issued', { at: dateTime(h.issuedAt), expires: dateTime(h.expiresAt) })}
          </p>
        )
      )}
      <button type="button" className={ticket ? undefined : 'primary'} disabled={busy} onClick={() => void issue()}>
        {h || ticket ? t('handover.again') : t('handover.create')}
      </button>
      <ErrorBox error={error} />
    </section>
  );
}
