import { useState, type FormEvent } from 'react';
import { ApiError, api } from '../api/client';
import { ErrorBox, Field, Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';

/** One session: its facts, flags, event timeline and the review form (ok, or escalate with a note). */
export function SessionPanel({ id, onReviewed }: { id: string; onReviewed: () => void }) {
  const { t, dateTime, detail } = useI18n();
  const data = useLoad(() => api.get('/v1/sessions/{id}', { path: { id }, query: { limit: 500 } }), [id]);
  const [verdict, setVerdict] = useState<'ok' | 'escalate'>('ok');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [outcome, setOutcome] = useState<string>();
  if (!data.data) return <Loading error={data.error} onRetry={data.reload} />;
  const s = data.data;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.post('/v1/sessions/{id}/review', { path: { id }, body: { verdict, note: note.trim() || undefined } });
      const parts = [t('sessions.reviewed')];
      if (r.incident) parts.push(t('sessions.incidentOpened', { id: r.incident.id }));
      if (r.requestClosed) parts.push(t('sessions.requestClosed'));
      setOutcome(parts.join(' '));
      setNote('');
      data.reload();
      onReviewed();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const noteErrors = error instanceof ApiError ? error.fieldErrors(detail).note : undefined;
  return (
    <div className="panel" aria-labelledby="session-title">
      <h2 id="session-title">{s.account}</h2>
      <dl className="facts compact">
        <dt>{t('sessions.col.source')}</dt>
        <dd>
          {s.source}（{s.sourceIps.join('、')}）
        </dd>
        <dt>{t('sessions.col.targets')}</dt>
        <dd>{s.targets.join('、') || '—'}</dd>
        <dt>{t('sessions.col.started')}</dt>
        <dd>{t('time.range', { from: dateTime(s.firstAt), to: dateTime(s.endedAt ?? s.lastAt) })}</dd>
        {s.requestId && (
          <>
            <dt>{t('sessions.request')}</dt>
            <dd>
              <Link to={`/requests/${encodeURIComponent(s.requestId)}`}>{s.requestId}</Link>
            </dd>
          </>
        )}
        {s.flags.length > 0 && (
          <>
            <dt>{t('sessions.col.flags')}</dt>
            <dd>
              <ul className="plain">
                {s.flags.map((f, i) => (
                  <li key={i}>
                    <span className="badge badge-failed">{t(`flag.${f.code}`)}</span> {f.detail}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {s.review && (
          <>
            <dt>{t('sessions.col.review')}</dt>
            <dd>
              {t('sessions.reviewedBy', { verdict: t(`sessions.verdict.${s.review.verdict}`), by: s.review.by })} {dateTime(s.review.at)} {s.review.note}
            </dd>
          </>
        )}
      </dl>
      {outcome && (
        <p className="alert alert-ok" role="status">
          {outcome}
        </p>
      )}
      {!s.review && (
        <form onSubmit={(e) => void submit(e)} aria-label={t('sessions.review')} noValidate>
          <fieldset className="radios">
            <legend>{t('sessions.review')}</legend>
            <label>
              <input type="radio" name="verdict" value="ok" checked={verdict === 'ok'} onChange={() => setVerdict('ok')} /> {t('sessions.verdict.ok')}
            </label>
            <label>
              <input type="radio" name="verdict" value="escalate" checked={verdict === 'escalate'} onChange={() => setVerdict('escalate')} />{' '}
              {t('sessions.verdict.escalate')}
            </label>
          </fieldset>
          <Field label={t('sessions.note')} hint={t('sessions.noteHint')} required={verdict === 'escalate'} errors={noteErrors}>
            {(p) => <textarea {...p} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <ErrorBox error={error} shownFields={['note']} />
          <button type="submit" className="primary" disabled={busy || (verdict === 'escalate' && !note.trim())}>
            {t('sessions.submitReview')}
          </button>
        </form>
      )}
      <h3>{t('sessions.events')}</h3>
      <ol className="timeline">
        {s.events.map((e) => (
          <li key={e.id} className={e.flags?.length ? 'event-flagged' : undefined}>
            <time dateTime={e.at}>{dateTime(e.at)}</time>
            <span className="timeline-what">
              <strong>{t(`event.${e.type}`)}</strong> {e.target && <code>{e.target}</code>} {e.sourceIp && <span className="muted">{e.sourceIp}</span>}
            </span>
            {e.detail && <code className="timeline-note">{e.detail}</code>}
            {e.flags?.map((f) => (
              <span key={f} className="badge badge-failed">
                {t(`flag.${f}`)}
              </span>
            ))}
          </li>
        ))}
      </ol>
      {s.nextOffset !== null && s.nextOffset !== undefined && <p className="muted">{t('sessions.eventsMore')}</p>}
    </div>
  );
}
