import { useState, type FormEvent } from 'react';
import { api, urlOf } from '../api/client';
import type { VerifyResult } from '../api/views';
import { usePagedLoad } from '../components/paged-load';
import { ErrorBox, Field, Loading } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { useRouter } from '../router';
import { wallToIso } from '../time';

const OUTCOMES = ['success', 'failure', 'refused', 'warning'] as const;
const FILTERS = ['since', 'until', 'actor', 'action', 'subject', 'outcome'] as const;
type Filter = Partial<Record<(typeof FILTERS)[number], string>>;

/** The audit trail: search (filters kept in the address), verify the hash chain, export CSV or JSONL with the same filters. */
export function AuditScreen() {
  const { t, dateTime, timeZone } = useI18n();
  const { search, navigate } = useRouter();
  const applied: Filter = {};
  for (const f of FILTERS) if (search.get(f)) applied[f] = search.get(f)!;
  const [draft, setDraft] = useState<Filter>(applied);
  const [verify, setVerify] = useState<{ result?: VerifyResult; error?: unknown; busy?: boolean }>({});
  const query = {
    since: applied.since ? wallToIso(applied.since, timeZone) : undefined,
    until: applied.until ? wallToIso(applied.until, timeZone) : undefined,
    actor: applied.actor,
    action: applied.action,
    subject: applied.subject,
    outcome: applied.outcome as (typeof OUTCOMES)[number] | undefined,
  };
  const list = usePagedLoad((cursor) => api.get('/v1/audit', { query: { ...query, limit: 100, cursor } }), [search.toString()]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const f of FILTERS) if (draft[f]) q.set(f, draft[f]);
    navigate(`/audit?${q.toString()}`);
  };
  const runVerify = async () => {
    setVerify({ busy: true });
    try {
      setVerify({ result: await api.get('/v1/audit/verify') });
    } catch (error) {
      setVerify({ error });
    }
  };
  const exportUrl = (format: 'csv' | 'jsonl') => urlOf('/v1/audit/export', { query: { ...query, format } });
  const v = verify.result;
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t('audit.title')}</h1>
      <form className="panel filters" onSubmit={submit} aria-label={t('common.search')}>
        <div className="grid3">
          <Field label={t('audit.since')}>
            {(p) => <input {...p} type="datetime-local" value={draft.since ?? ''} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />}
          </Field>
          <Field label={t('audit.until')}>
            {(p) => <input {...p} type="datetime-local" value={draft.until ?? ''} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />}
          </Field>
          <Field label={t('audit.outcome')}>
            {(p) => (
              <select {...p} value={draft.outcome ?? ''} onChange={(e) => setDraft({ ...draft, outcome: e.target.value })}>
                <option value="">{t('common.all')}</option>
                {OUTCOMES.map((o) => (
                  <option key={o} value={o}>
                    {t(`audit.outcome.${o}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('audit.actor')}>
            {(p) => <input {...p} value={draft.actor ?? ''} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} />}
          </Field>
          <Field label={t('audit.action')}>
            {(p) => <input {...p} value={draft.action ?? ''} onChange={(e) => setDraft({ ...draft, action: e.target.value })} />}
          </Field>
          <Field label={t('audit.subject')}>
            {(p) => <input {...p} value={draft.subject ?? ''} onChange={(e) => setDraft({ ...draft, subject: e.target.value })} />}
          </Field>
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            {t('common.search')}
          </button>
          <button type="button" onClick={() => void runVerify()} disabled={verify.busy}>
            {t('audit.verify')}
          </button>
          <a className="button" href={exportUrl('csv')} download>
            {t('audit.exportCsv')}
          </a>
          <a className="button" href={exportUrl('jsonl')} download>
            {t('audit.exportJsonl')}
          </a>
        </div>
      </form>
      <ErrorBox error={verify.error} />
      {v && (
        <p className={v.ok ? 'alert alert-ok' : 'alert alert-error'} role="status">
          {v.ok
            ? t('audit.verifyOk', { count: v.count ?? 0, head: v.head ? `#${v.head.seq} ${v.head.hash.slice(0, 16)}…` : '—' })
            : t('audit.verifyBad', { seq: v.firstBadSeq ?? '?', reason: v.reason ?? '' })}{' '}
          {v.reanchored?.length ? t('audit.reanchored', { seqs: v.reanchored.join(', ') }) : ''}
          {v.ok && v.archived ? t('audit.verifyArchived', { segments: v.archived.segments, through: v.archived.throughSeq }) : ''}
        </p>
      )}
      {!list.items ? (
        <Loading error={list.error} onRetry={list.reload} />
      ) : list.items.length === 0 ? (
        <p>{t('audit.empty')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('audit.col.seq')}</th>
                <th scope="col">{t('audit.col.at')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.col.details')}</th>
                <th scope="col">{t('audit.outcome')}</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((a) => (
                <tr key={a.seq}>
                  <td>{a.seq}</td>
                  <td className="nowrap">{dateTime(a.at)}</td>
                  <td>{a.actor}</td>
                  <td>
                    <code>{a.action}</code> <span className="muted">{a.subject}</span>
                    {Object.keys(a.details).length > 0 && <div className="details">{JSON.stringify(a.details)}</div>}
                  </td>
                  <td>
                    <span className={a.outcome === 'success' ? 'badge badge-active' : a.outcome === 'warning' ? 'badge badge-pending' : 'badge badge-failed'}>
                      {t(`audit.outcome.${a.outcome}`)}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasMore && (
        <button type="button" onClick={() => void list.more()}>
          {t('common.more')}
        </button>
      )}
    </section>
  );
}
