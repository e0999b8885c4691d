import { useEffect, useRef, type ReactNode } from 'react';
import type { Role } from './api/views';
import { useI18n, type Lang } from './i18n/i18n';
import type { MessageKey } from './i18n/zh-TW';
import { Link, match, useRouter } from './router';
import { HomeScreen } from './screens/home.screen';
import { LoginScreen } from './screens/login.screen';
import { RequestDetailScreen } from './screens/request-detail.screen';
import { RequestFormScreen } from './screens/request-form.screen';
import { RequestListScreen } from './screens/request-list.screen';
import { useSession } from './session';
import { VendorDetailScreen } from './screens/vendor-detail.screen';
import { VendorsScreen } from './screens/vendors.screen';
import { IncidentsScreen } from './screens/incidents.screen';
import { SessionsScreen } from './screens/sessions.screen';
import { SignOffScreen } from './screens/sign-off.screen';
import { AuditScreen } from './screens/audit.screen';
import { AdminScreen } from './screens/admin.screen';
import { RoomVisitsScreen } from './screens/room-visits.screen';

/** The screens, each with the roles that may open it (the API refuses the rest anyway). */
const NAV: { to: string; label: MessageKey; roles: Role[] }[] = [
  { to: '/', label: 'nav.home', roles: [] },
  { to: '/requests', label: 'nav.requests', roles: ['requester', 'approver', 'auditor', 'exception-approver'] },
  { to: '/requests/new', label: 'nav.newRequest', roles: ['requester'] },
  { to: '/vendors', label: 'nav.vendors', roles: ['requester', 'approver', 'auditor'] },
  { to: '/sessions', label: 'nav.sessions', roles: ['auditor'] },
  { to: '/room-visits', label: 'nav.rooms', roles: ['requester', 'approver', 'auditor'] },
  { to: '/audit', label: 'nav.audit', roles: ['auditor'] },
  { to: '/admin', label: 'nav.admin', roles: ['admin'] },
];

function screenFor(path: string): ReactNode {
  if (path === '/' || path === '') return <HomeScreen />;
  if (path === '/requests/new') return <RequestFormScreen />;
  if (path === '/requests' || path === '/requests/') return <RequestListScreen />;
  const detail = match('/requests/:id', path);
  if (detail) return <RequestDetailScreen id={detail.id!} />;
  if (path === '/vendors' || path === '/vendors/') return <VendorsScreen />;
  const vendor = match('/vendors/:id', path);
  if (vendor) return <VendorDetailScreen id={vendor.id!} />;
  if (path === '/sessions' || path === '/sessions/') return <SessionsScreen />;
  const session = match('/sessions/:id', path);
  if (session) return <SessionsScreen selected={session.id} />;
  if (path === '/incidents') return <IncidentsScreen />;
  if (path === '/sign-off') return <SignOffScreen />;
  if (path === '/audit') return <AuditScreen />;
  if (path === '/admin') return <AdminScreen />;
  if (path === '/room-visits' || path === '/room-visits/') return <RoomVisitsScreen />;
  return null;
}

/** The language menu (zh-TW or English), also on the public pickup page. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang-switch">
      <span>{t('lang.label')}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="zh-TW">{t('lang.zh-TW')}</option>
        <option value="en">{t('lang.en')}</option>
      </select>
    </label>
  );
}

/** The frame: header with the menu, who is signed in and the language; the screen for the path. */
export function App() {
  const { t } = useI18n();
  const { me, checking, can, signOut } = useSession();
  const { path } = useRouter();
  const main = useRef<HTMLElement>(null);
  // After navigation (not on the first load, where Tab must reach the skip link first), focus moves to
  // the new screen's content for keyboard and screen-reader users.
  const firstPath = useRef(path);
  useEffect(() => {
    if (path !== firstPath.current) {
      firstPath.current = '';
      main.current?.focus();
    }
  }, [path]);
  if (checking)
    return (
      <p className="loading" role="status">
        {t('common.loading')}
      </p>
    );
  const screen = me ? screenFor(path) : <LoginScreen />;
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="topbar">
        <span className="brand">{t('app.name')}</span>
        {me && (
          <nav aria-label={t('nav.label')}>
            <ul>
              {NAV.filter((n) => n.roles.length === 0 || can(...n.roles)).map((n) => (
                <li key={n.to}>
                  <Link to={n.to}>{t(n.label)}</Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div className="topbar-end">
          {me && (
            <span className="who">
              <span>{me.displayName || me.name}</span>
              <span className="who-roles">{me.roles.map((r) => t(`role.${r}`)).join('、')}</span>
            </span>
          )}
          <LanguageSwitch />
          {me && (
            <button type="button" className="link-button" onClick={() => void signOut()}>
              {t('nav.signOut')}
            </button>
          )}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {screen ?? <p>{t('common.notFound')}</p>}
      </main>
    </>
  );
}
