import { useId, useState } from 'react';
import { api, ApiError } from '../api/client';
import { ErrorBox } from '../components/ui';
import { useI18n } from '../i18n/i18n';

/** The date the API names in an erasure refusal (requests_ended, retention_person_days), if it is one. */
function refusalDate(error: unknown): { rule: string; possibleAt: string } | undefined {
  if (!(error instanceof ApiError)) return undefined;
  for (const d of error.details as { rule?: string; possibleAt?: unknown }[])
    if ((d.rule === 'requests_ended' || d.rule === 'retention_person_days') && typeof d.possibleAt === 'string')
      return { rule: d.rule, possibleAt: d.possibleAt };
  return undefined;
}

/**
 * Clause 1.1.2, admins only: erase a person's name, e-mail and phone, after a
 * confirmation that says what goes and what stays. When the rule does not
 * allow it yet, the refusal says from when it will.
 */
export function EraseButton({ personId, onDone }: { personId: string; onDone: () => void }) {
  const { t, dateTime } = useI18n();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const label = t('people.erase');
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/v1/people/{id}/erase', { path: { id: personId }, body: {} });
      setOpen(false);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!open)
    return (
      <button type="button" className="danger" onClick={() => setOpen(true)} aria-expanded={false} aria-controls={id}>
        {label}
      </button>
    );
  const refusal = refusalDate(error);
  return (
    <div id={id} className="action-form" role="group" aria-label={label}>
      <p className="alert alert-warn">{t('people.eraseWarning')}</p>
      {refusal ? (
        <p className="alert alert-error" role="alert">
          {t(refusal.rule === 'requests_ended' ? 'people.eraseLive' : 'people.eraseNotYet', { date: dateTime(refusal.possibleAt) })}
        </p>
      ) : (
        <ErrorBox error={error} />
      )}
      <div className="actions">
        <button type="button" className="danger" disabled={busy || !!refusal} onClick={() => void run()}>
          {t('detail.confirm', { action: label })}
        </button>
        <button type="button" onClick={() => (setOpen(false), setError(undefined))}>
          {t('common.cancel')}
        </button>
      </div>
    </div>
  );
}
