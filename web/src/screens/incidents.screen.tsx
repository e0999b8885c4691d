import { useState, type FormEvent } from 'react';
import { ApiError, api } from '../api/client';
import type { Incident } from '../api/views';
import { ErrorBox, Field, Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { Link, useRouter } from '../router';
import { ReviewTabs } from './review-tabs';

const STATUSES = ['open', 'handling', 'resolved'] as const;
type IncidentStatus = (typeof STATUSES)[number];

/** Incidents opened by escalated sessions, and the record of their handling (PATCH /v1/incidents/:id). */
export function IncidentsScreen() {
  const { t } = useI18n();
  const { search, navigate } = useRouter();
  const status = (search.get('status') ?? '') as IncidentStatus | '';
  const list = useLoad(async () => (await api.get('/v1/incidents', { query: { status: status || undefined, limit: 200 } })).items, [status]);
  return (
    <section aria-labelledby="incidents-title">
      <h1 id="incidents-title">{t('incidents.title')}</h1>
      <ReviewTabs />
      <div className="toolbar">
        <label>
          {t('incidents.status')}{' '}
          <select value={status} onChange={(e) => navigate(e.target.value ? `/incidents?status=${e.target.value}` : '/incidents')}>
            <option value="">{t('common.all')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`incidents.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!list.data ? (
        <Loading error={list.error} onRetry={list.reload} />
      ) : list.data.length === 0 ? (
        <p>{t('incidents.empty')}</p>
      ) : (
        <ul className="people">
          {list.data.map((i) => (
            <IncidentCard key={i.id} incident={i} onSaved={list.reload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function IncidentCard({ incident: i, onSaved }: { incident: Incident; onSaved: () => void }) {
  const { t, dateTime, detail } = useI18n();
  const [status, setStatus] = useState<IncidentStatus>(i.status);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.patch('/v1/incidents/{id}', {
        path: { id: i.id },
        body: { status: status === i.status ? undefined : status, handlingNote: note.trim() || undefined },
      });
      setNote('');
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const errors = error instanceof ApiError ? error.fieldErrors(detail) : {};
  return (
    <li className="panel" aria-labelledby={`incident-${i.id}`}>
      <h2 id={`incident-${i.id}`}>
        {i.id} <span className={i.status === 'resolved' ? 'badge badge-active' : 'badge badge-failed'}>{t(`incidents.status.${i.status}`)}</span>
      </h2>
      <dl className="facts compact">
        <dt>{t('sessions.col.account')}</dt>
        <dd>{i.sessionId ? <Link to={`/sessions/${encodeURIComponent(i.sessionId)}?reviewed=all`}>{i.account}</Link> : i.account}</dd>
        <dt>{t('sessions.col.flags')}</dt>
        <dd>{i.flags.map((f) => t(`flag.${f}`)).join('、') || '—'}</dd>
        <dt>{t('sessions.note')}</dt>
        <dd>
          {i.escalationNote}（{i.openedBy}，{dateTime(i.openedAt)}）
        </dd>
      </dl>
      {i.history && i.history.length > 0 && (
        <>
          <h3>{t('incidents.history')}</h3>
          <ol className="timeline">
            {i.history.map((h, n) => (
              <li key={n}>
                <time dateTime={h.at}>{dateTime(h.at)}</time>
                <span className="timeline-what">
                  {h.status && <span className="badge">{t(`incidents.status.${h.status}`)}</span>} {h.by}
                </span>
                {h.handlingNote && <span className="timeline-note">{h.handlingNote}</span>}
              </li>
            ))}
          </ol>
        </>
      )}
      <form className="action-form" onSubmit={(e) => void save(e)} aria-label={t('incidents.save')} noValidate>
        <div className="grid2">
          <Field label={t('incidents.status')} errors={errors.status}>
            {(p) => (
              <select {...p} value={status} onChange={(e) => setStatus(e.target.value as IncidentStatus)}>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {t(`incidents.status.${s}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('incidents.note')} required={status === 'resolved'} errors={errors.handlingNote}>
            {(p) => <textarea {...p} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
        </div>
        <ErrorBox error={error} shownFields={['status', 'handlingNote']} />
        <button type="submit" className="primary" disabled={busy || (status === i.status && !note.trim()) || (status === 'resolved' && !note.trim())}>
          {t('incidents.save')}
        </button>
      </form>
    </li>
  );
}
