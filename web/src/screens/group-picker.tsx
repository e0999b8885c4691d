import { useEffect, useId, useState } from 'react';
import { api } from '../api/client';
import type { GroupChoice } from '../api/views';
import { ErrorBox } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { exceptionGroup } from './request-rules';

/**
 * Finds grantable groups in the directory (GET /v1/groups?q=). Privileged
 * groups are listed with the reason they are refused and cannot be added:
 * the console offers nothing the API would refuse. A group refused only for
 * being outside grantableGroups can be added when the policy lets an
 * exception relax that (`exceptions`, clause 1.9); the form then asks for one.
 */
export function GroupPicker({
  chosen,
  onChange,
  errors,
  exceptions,
}: {
  chosen: GroupChoice[];
  onChange: (groups: GroupChoice[]) => void;
  errors?: string[];
  exceptions?: boolean;
}) {
  const { t, detail } = useI18n();
  const id = useId();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<GroupChoice[] | null>(null);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const term = q.trim();
    if (term.length < 2) return setFound(null);
    let live = true;
    const timer = setTimeout(() => {
      api.get('/v1/groups', { query: { q: term } }).then(
        (page) => live && (setFound(page.items), setError(undefined)),
        (e: unknown) => live && setError(e),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q]);
  const has = (g: GroupChoice) => chosen.some((c) => c.dn === g.dn);
  const refused = (g: GroupChoice) => !g.grantable || g.privileged || g.reasons.length > 0;
  return (
    <div className={errors?.length ? 'field field-invalid' : 'field'}>
      <label htmlFor={`${id}-q`}>
        {t('form.groupSearch')} <span className="field-required">{t('common.required')}</span>
      </label>
      <input id={`${id}-q`} type="search" value={q} onChange={(e) => setQ(e.target.value)} aria-describedby={`${id}-hint`} autoComplete="off" />
      <p className="field-hint" id={`${id}-hint`}>
        {t('form.groupSearchHint')}
      </p>
      <ErrorBox error={error} />
      {found && (
        <ul className="group-results" aria-label={t('form.groupSearch')} aria-live="polite">
          {found.length === 0 && <li>{t('form.groupsNoResult')}</li>}
          {found.map((g) => (
            <li key={g.dn} className={refused(g) ? 'group group-refused' : 'group'}>
              <span className="group-name">
                {g.name}
                {g.privileged && <span className="badge badge-failed">{t('form.groupPrivileged')}</span>}
              </span>
              <span className="group-dn">{g.dn}</span>
              {g.privilegedGroup && g.privilegedGroup !== g.dn && <span className="group-desc">→ {g.privilegedGroup}</span>}
              {refused(g) && <span className="group-reason">{t('form.groupRefused', { reason: g.reasons.map(detail).join(' ') })}</span>}
              {refused(g) && exceptions && exceptionGroup(g) && (
                <button type="button" disabled={has(g)} onClick={() => onChange([...chosen, g])} aria-label={t('form.groupAddException', { name: g.name })}>
                  ＋ {t('form.addException')}
                </button>
              )}
              {!refused(g) && (
                <button type="button" disabled={has(g)} onClick={() => onChange([...chosen, g])} aria-label={t('form.groupAdd', { name: g.name })}>
                  ＋ {t('form.add')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <h4 id={`${id}-chosen`}>{t('form.groupsChosen')}</h4>
      {chosen.length === 0 ? (
        <p className="muted">{t('form.groupsNone')}</p>
      ) : (
        <ul className="chips" aria-labelledby={`${id}-chosen`}>
          {chosen.map((g) => (
            <li key={g.dn} className="chip">
              <span title={g.dn}>{g.name}</span>
              <button type="button" onClick={() => onChange(chosen.filter((c) => c.dn !== g.dn))} aria-label={t('form.groupRemove', { name: g.name })}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {errors?.length ? <p className="field-error">{errors.join(' ')}</p> : null}
    </div>
  );
}
