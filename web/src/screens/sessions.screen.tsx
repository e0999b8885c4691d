import { useState } from 'react';
import { api } from '../api/client';
import type { Session } from '../api/views';
import { Field, Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { Link, useRouter } from '../router';
import { ReviewTabs } from './review-tabs';
import { SessionPanel } from './session-panel';

/** Sessions awaiting review, flagged first (as the API orders them), with filters; one session's events and review beside the list. */
export function SessionsScreen({ selected }: { selected?: string }) {
  const { t, dateTime } = useI18n();
  const { search, navigate } = useRouter();
  const reviewed = search.get('reviewed') ?? 'false';
  const flagged = search.get('flagged') === 'true';
  const overdue = search.get('overdue') === '1';
  const [account, setAccount] = useState(search.get('account') ?? '');
  const list = useLoad(async (): Promise<Session[]> => {
    if (overdue) return (await api.get('/v1/sessions/overdue', { query: { limit: 200 } })).items;
    const query = {
      reviewed: reviewed === 'all' ? undefined : (reviewed as 'true' | 'false'),
      flagged: flagged ? ('true' as const) : undefined,
      account: search.get('account') || undefined,
      limit: 200,
    };
    return (await api.get('/v1/sessions', { query })).items;
  }, [reviewed, flagged, overdue, search.get('account')]);
  const filter = (next: Record<string, string>) => {
    const q = new URLSearchParams({ reviewed, flagged: flagged ? 'true' : '', overdue: overdue ? '1' : '', account, ...next });
    for (const [k, v] of [...q.entries()]) if (!v) q.delete(k);
    navigate(`${selected ? `/sessions/${encodeURIComponent(selected)}` : '/sessions'}?${q.toString()}`);
  };
  const keep = search.toString() ? `?${search.toString()}` : '';
  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">{t('sessions.title')}</h1>
      <ReviewTabs />
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          filter({});
        }}
      >
        <label>
          {t('sessions.filter.reviewed')}{' '}
          <select value={reviewed} onChange={(e) => filter({ reviewed: e.target.value })} disabled={overdue}>
            <option value="false">{t('sessions.filter.unreviewed')}</option>
            <option value="true">{t('sessions.filter.reviewedOnly')}</option>
            <option value="all">{t('common.all')}</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={flagged} onChange={(e) => filter({ flagged: e.target.checked ? 'true' : '' })} disabled={overdue} />{' '}
          {t('sessions.filter.flagged')}
        </label>
        <label className="check">
          <input type="checkbox" checked={overdue} onChange={(e) => filter({ overdue: e.target.checked ? '1' : '' })} /> {t('sessions.filter.overdue')}
        </label>
        <Field label={t('sessions.filter.account')}>
          {(p) => <input {...p} type="search" value={account} onChange={(e) => setAccount(e.target.value)} disabled={overdue} />}
        </Field>
        <button type="submit">{t('common.search')}</button>
      </form>
      <div className="split">
        <div>
          {!list.data ? (
            <Loading error={list.error} onRetry={list.reload} />
          ) : list.data.length === 0 ? (
            <p>{t('sessions.empty')}</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('sessions.col.account')}</th>
                  <th scope="col">{t('sessions.col.started')}</th>
                  <th scope="col">{t('sessions.col.flags')}</th>
                  <th scope="col">{t('sessions.col.review')}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((s) => (
                  <tr key={s.id} className={[s.flagged ? 'flag-row' : '', s.id === selected ? 'row-selected' : ''].join(' ')}>
                    <td>
                      <Link to={`/sessions/${encodeURIComponent(s.id)}${keep}`} aria-current={s.id === selected ? 'true' : undefined}>
                        {s.account}
                      </Link>
                      <div className="muted small">{s.targets.join('、')}</div>
                    </td>
                    <td className="nowrap">{dateTime(s.firstAt)}</td>
                    <td>
                      {s.flags.map((f, i) => (
                        <span key={i} className="badge badge-failed">
                          {t(`flag.${f.code}`)}
                        </span>
                      ))}
                    </td>
                    <td className="nowrap">
                      {s.review ? t('sessions.reviewedBy', { verdict: t(`sessions.verdict.${s.review.verdict}`), by: s.review.by }) : t('sessions.notReviewed')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div>{selected ? <SessionPanel id={selected} onReviewed={list.reload} /> : <p className="panel muted">{t('sessions.select')}</p>}</div>
      </div>
    </section>
  );
}
