import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, api } from '../api/client';
import { ErrorBox, Field, Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session';
import { isoToWall, wallToIso } from '../time';

/**
 * The periodic review of the register: the overdue banner (for everyone who
 * reads it), the sign-off of a period (approvers), and the reviews so far.
 */
export function RoomReviewPanel({ refresh }: { refresh: number }) {
  const { t, dateTime, detail, timeZone } = useI18n();
  const { can } = useSession();
  const [tick, setTick] = useState(0);
  const reviews = useLoad(() => api.get('/v1/room-visits/reviews'), [refresh, tick]);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  // Up to now by default: a wall time has whole minutes only, and would leave out the visits of the current minute.
  const [toNow, setToNow] = useState(true);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const status = reviews.data?.status;
  // The period offered: from the oldest unreviewed visit to now.
  useEffect(() => {
    if (!status) return;
    if (status.oldestUnreviewedAt) setFrom(isoToWall(Date.parse(status.oldestUnreviewedAt), timeZone));
    setTo(isoToWall(Date.now() - 60_000, timeZone));
  }, [status?.oldestUnreviewedAt, timeZone]);

  const sign = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const end = toNow ? new Date(Date.now() - 1000).toISOString() : (wallToIso(to, timeZone) ?? to);
      await api.post('/v1/room-visits/reviews', { body: { from: wallToIso(from, timeZone) ?? from, to: end, note: note.trim() } });
      setNote('');
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const errors = error instanceof ApiError ? error.fieldErrors(detail) : {};
  if (!reviews.data) return <Loading error={reviews.error} onRetry={reviews.reload} />;
  return (
    <>
      {status?.state === 'overdue' && (
        <p className="alert alert-error" role="alert">
          {t('rooms.overdue', { from: dateTime(status.oldestUnreviewedAt), due: dateTime(status.dueAt), days: status.reviewDueDays })}
        </p>
      )}
      {status?.state === 'pending' && (
        <p className="alert alert-warn" role="status">
          {t('rooms.reviewPending', { from: dateTime(status.oldestUnreviewedAt), due: dateTime(status.dueAt) })}
        </p>
      )}
      {can('approver') && (
        <form className="panel" onSubmit={(e) => void sign(e)} aria-labelledby="room-review-title" noValidate>
          <h2 id="room-review-title">{t('rooms.review')}</h2>
          <div className="grid3">
            <Field label={t('rooms.reviewFrom')} required errors={errors.from}>
              {(p) => <input {...p} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />}
            </Field>
            <Field label={t('rooms.reviewTo')} required={!toNow} errors={errors.to}>
              {(p) => (
                <>
                  <input {...p} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} disabled={toNow} />
                  <label className="check">
                    <input type="checkbox" checked={toNow} onChange={(e) => setToNow(e.target.checked)} /> {t('rooms.reviewToNow')}
                  </label>
                </>
              )}
            </Field>
            <Field label={t('rooms.reviewNote')} required errors={errors.note}>
              {(p) => <textarea {...p} rows={2} value={note} onChange={(e) => setNote(e.target.value)} maxLength={2000} />}
            </Field>
          </div>
          <ErrorBox error={error} shownFields={['from', 'to', 'note']} />
          <button type="submit" className="primary" disabled={busy || !from || (!toNow && !to) || !note.trim()}>
            {t('rooms.reviewSign')}
          </button>
        </form>
      )}
      {reviews.data.items.length > 0 && (
        <details className="panel">
          <summary>{t('rooms.reviews', { count: reviews.data.items.length })}</summary>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('rooms.reviewPeriod')}</th>
                  <th scope="col">{t('rooms.reviewBy')}</th>
                  <th scope="col">{t('rooms.reviewCounts')}</th>
                  <th scope="col">{t('rooms.reviewNote')}</th>
                </tr>
              </thead>
              <tbody>
                {reviews.data.items.map((r) => (
                  <tr key={r.id}>
                    <td className="nowrap">{t('time.range', { from: dateTime(r.from), to: dateTime(r.to) })}</td>
                    <td>{t('detail.byAt', { by: r.signedBy, at: dateTime(r.signedAt) })}</td>
                    <td>{t('rooms.reviewCountsText', { visits: r.visits, open: r.openVisits, flagged: r.flaggedVisits })}</td>
                    <td>{r.note}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </>
  );
}
