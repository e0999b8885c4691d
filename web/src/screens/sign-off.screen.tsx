import { api } from '../api/client';
import { Loading, StatusBadge, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { ActionButton } from './request-actions';
import { ReviewTabs } from './review-tabs';

/**
 * Expired or revoked requests none of whose sessions awaits review: an
 * auditor closes them (POST /v1/requests/:id/sign-off). Requests that still
 * have a session to review are left out, since the API would refuse them.
 */
export function SignOffScreen() {
  const { t, dateTime } = useI18n();
  const list = useLoad(async () => {
    const [expired, revoked] = await Promise.all((['expired', 'revoked'] as const).map((status) => api.get('/v1/requests', { query: { status, limit: 100 } })));
    const ended = [...expired!.items, ...revoked!.items];
    const waiting = await Promise.all(ended.map((r) => api.get('/v1/sessions', { query: { requestId: r.id, reviewed: 'false', limit: 1 } })));
    return ended.filter((_, i) => waiting[i]!.items.length === 0);
  }, []);
  return (
    <section aria-labelledby="signoff-title">
      <h1 id="signoff-title">{t('signoff.title')}</h1>
      <ReviewTabs />
      <p>{t('signoff.intro')}</p>
      {!list.data ? (
        <Loading error={list.error} onRetry={list.reload} />
      ) : list.data.length === 0 ? (
        <p>{t('signoff.empty')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('requests.col.id')}</th>
              <th scope="col">{t('requests.col.work')}</th>
              <th scope="col">{t('requests.col.validity')}</th>
              <th scope="col">{t('requests.col.status')}</th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/requests/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                </td>
                <td className="truncate">{r.workDescription}</td>
                <td>{t('time.range', { from: dateTime(r.validFrom), to: dateTime(r.validTo) })}</td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>
                  <ActionButton
                    label={t('detail.signOff')}
                    text={{ name: 'note', label: t('detail.note'), required: false }}
                    onRun={(note) => api.post('/v1/requests/{id}/sign-off', { path: { id: r.id }, body: { note } })}
                    onDone={list.reload}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
