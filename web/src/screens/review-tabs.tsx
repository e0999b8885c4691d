import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/zh-TW';
import { Link, useRouter } from '../router';

const TABS: { to: string; label: MessageKey }[] = [
  { to: '/sessions', label: 'sessions.title' },
  { to: '/incidents', label: 'incidents.title' },
  { to: '/sign-off', label: 'signoff.title' },
];

/** The auditor's three queues, one link each; the one shown is marked current (also on /sessions/:id). */
export function ReviewTabs() {
  const { t } = useI18n();
  const { path } = useRouter();
  return (
    <nav className="tabs" aria-label={t('sessions.tabs')}>
      {TABS.map((tab) => (
        <Link key={tab.to} to={tab.to} aria-current={path === tab.to || path.startsWith(`${tab.to}/`) ? 'page' : undefined}>
          {t(tab.label)}
        </Link>
      ))}
    </nav>
  );
}
