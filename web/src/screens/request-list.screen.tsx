import { useState } from 'react';
import { api } from '../api/client';
import { REQUEST_STATUSES, type AccessRequest, type RequestStatus } from '../api/views';
import { RequestTable } from '../components/request-table';
import { Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { useRouter } from '../router';
import { useSession } from '../session';

/** Requests, newest first: by status, the signed-in person's own (?mine=1), or overdue revocations (?overdue=1). */
export function RequestListScreen() {
  const { t } = useI18n();
  const { me } = useSession();
  const { search, navigate } = useRouter();
  const status = (search.get('status') ?? '') as RequestStatus | '';
  const mine = search.get('mine') === '1';
  const overdue = search.get('overdue') === '1';
  const [extra, setExtra] = useState<{ items: AccessRequest[]; cursor?: string | null }>({ items: [] });
  const data = useLoad(async () => {
    setExtra({ items: [] });
    if (overdue) return { ...(await api.get('/v1/revocations/overdue')), nextCursor: null };
    return await api.get('/v1/requests', { query: { status: status || undefined, limit: 100 } });
  }, [status, overdue]);
  const more = async () => {
    const cursor = extra.cursor ?? data.data?.nextCursor;
    if (!cursor) return;
    const page = await api.get('/v1/requests', { query: { status: status || undefined, limit: 100, cursor } });
    setExtra((e) => ({ items: [...e.items, ...page.items], cursor: page.nextCursor ?? null }));
  };
  const items = [...(data.data?.items ?? []), ...extra.items].filter((r) => !mine || r.requester === me?.name);
  const hasMore = !overdue && (extra.cursor === undefined ? !!data.data?.nextCursor : !!extra.cursor);
  const setFilter = (next: Record<string, string>) => navigate(`/requests?${new URLSearchParams(Object.entries(next).filter(([, v]) => v)).toString()}`);
  return (
    <section aria-labelledby="requests-title">
      <h1 id="requests-title">{overdue ? t('requests.overdueTitle') : t('requests.title')}</h1>
      {!overdue && (
        <div className="toolbar">
          <label>
            {t('requests.filterStatus')}{' '}
            <select value={status} onChange={(e) => setFilter({ status: e.target.value, mine: mine ? '1' : '' })}>
              <option value="">{t('common.all')}</option>
              {REQUEST_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`status.${s}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={mine} onChange={(e) => setFilter({ status, mine: e.target.checked ? '1' : '' })} /> {t('home.myRequests')}
          </label>
        </div>
      )}
      {!data.data ? (
        <Loading error={data.error} onRetry={data.reload} />
      ) : items.length === 0 ? (
        <p>{t('requests.empty')}</p>
      ) : (
        <RequestTable requests={items} withAccount />
      )}
      {hasMore && (
        <button type="button" onClick={() => void more()}>
          {t('common.more')}
        </button>
      )}
    </section>
  );
}
