import { api } from '../api/client';
import { REQUEST_STATUSES, type AccessRequest, type RequestStatus } from '../api/views';
import { RequestTable } from '../components/request-table';
import { usePagedLoad } from '../components/paged-load';
import { Loading } from '../components/ui';
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
  const list = usePagedLoad<AccessRequest>(
    async (cursor) => {
      if (overdue) return { ...(await api.get('/v1/revocations/overdue')), nextCursor: null };
      return await api.get('/v1/requests', { query: { status: status || undefined, limit: 100, cursor } });
    },
    [status, overdue],
  );
  const items = list.items?.filter((r) => !mine || r.requester === me?.name);
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
      {!items ? (
        <Loading error={list.error} onRetry={list.reload} />
      ) : items.length === 0 ? (
        <p>{t('requests.empty')}</p>
      ) : (
        <RequestTable requests={items} withAccount />
      )}
      {list.hasMore && (
        <button type="button" onClick={() => void list.more()}>
          {t('common.more')}
        </button>
      )}
    </section>
  );
}
