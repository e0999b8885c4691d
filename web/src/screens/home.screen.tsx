import { api } from '../api/client';
import { RequestTable } from '../components/request-table';
import { Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/zh-TW';
import { Link } from '../router';
import { useSession } from '../session';

/** The most a counter reads; beyond it the counter says "500+". */
const COUNT_LIMIT = 500;

interface Counter {
  label: MessageKey;
  value: number;
  to: string;
  alert?: boolean;
}

async function readiness(): Promise<{ ok: boolean; causes: string[] }> {
  const res = await fetch('/readyz', { credentials: 'same-origin' });
  const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, string> };
  const causes = Object.entries(body.checks ?? {})
    .filter(([, v]) => v !== 'ok')
    .map(([k, v]) => `${k}: ${v}`);
  return { ok: res.ok, causes };
}

/** Home: a counter for each duty of the signed-in person's roles, overdue revocations for everyone, health. */
export function HomeScreen() {
  const { t } = useI18n();
  const { me, can } = useSession();
  const name = me!.name;
  const data = useLoad(async () => {
    const readsRequests = can('requester', 'approver', 'auditor');
    const [recent, pending, unreviewed, overdueReviews, overdue, health] = await Promise.all([
      readsRequests ? api.get('/v1/requests', { query: { limit: COUNT_LIMIT } }) : undefined,
      can('approver', 'exception-approver') ? api.get('/v1/requests', { query: { status: 'pending', limit: COUNT_LIMIT } }) : undefined,
      can('auditor') ? api.get('/v1/sessions', { query: { reviewed: 'false', limit: COUNT_LIMIT } }) : undefined,
      can('auditor') ? api.get('/v1/sessions/overdue', { query: { limit: COUNT_LIMIT } }) : undefined,
      readsRequests ? api.get('/v1/revocations/overdue') : undefined,
      readiness(),
    ]);
    const mine = recent?.items.filter((r) => r.requester === name) ?? [];
    const counters: Counter[] = [];
    if (can('requester')) counters.push({ label: 'home.myRequests', value: mine.length, to: '/requests?mine=1' });
    if (pending && can('approver'))
      counters.push({
        label: 'home.awaitingMyApproval',
        value: pending.items.filter((r) => r.requester !== name && !r.approval && !r.exception?.approvals.some((a) => a.by === name)).length,
        to: '/requests?status=pending',
      });
    // Clause 1.9: exceptions still without their exception approval, filed and approved by others.
    if (pending && can('exception-approver'))
      counters.push({
        label: 'home.awaitingExceptionApproval',
        value: pending.items.filter((r) => r.exception && r.exception.approvals.length === 0 && r.requester !== name && r.approval?.by !== name).length,
        to: '/requests?status=pending',
      });
    if (unreviewed) counters.push({ label: 'home.sessionsAwaitingReview', value: unreviewed.items.length, to: '/sessions?reviewed=false' });
    if (overdueReviews)
      counters.push({ label: 'home.overdueReviews', value: overdueReviews.items.length, to: '/sessions?overdue=1', alert: overdueReviews.items.length > 0 });
    if (overdue) counters.push({ label: 'home.overdueRevocations', value: overdue.items.length, to: '/requests?overdue=1', alert: overdue.items.length > 0 });
    const list = can('requester') && !can('approver', 'auditor') ? mine : (recent?.items ?? []);
    return { counters, overdue: overdue?.items.length ?? 0, health, recent: list.slice(0, 8) };
  }, [name]);
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">{t('home.welcome', { name: me!.displayName ?? name })}</h1>
      {!data.data ? (
        <Loading error={data.error} onRetry={data.reload} />
      ) : (
        <>
          {data.data.overdue > 0 && (
            <div className="banner banner-red" role="alert">
              <strong>{t('home.overdueBanner', { count: data.data.overdue })}</strong> <Link to="/requests?overdue=1">{t('home.overdueLink')}</Link>
            </div>
          )}
          <ul className="counters" aria-label={t('home.title')}>
            {data.data.counters.map((c) => (
              <li key={c.label} className={c.alert ? 'counter counter-alert' : 'counter'}>
                <Link to={c.to}>
                  <span className="counter-value">{c.value >= COUNT_LIMIT ? `${COUNT_LIMIT}+` : c.value}</span>
                  <span className="counter-label">{t(c.label)}</span>
                </Link>
              </li>
            ))}
            <li className={data.data.health.ok ? 'counter counter-ok' : 'counter counter-alert'}>
              <div>
                <span className="counter-value counter-text">
                  {data.data.health.ok ? t('home.healthOk') : t('home.healthDown', { causes: data.data.health.causes.join('; ') })}
                </span>
                <span className="counter-label">{t('home.health')}</span>
              </div>
            </li>
          </ul>
          {data.data.recent.length > 0 && (
            <>
              <h2>{t('home.recent')}</h2>
              <RequestTable requests={data.data.recent} />
            </>
          )}
        </>
      )}
    </section>
  );
}
