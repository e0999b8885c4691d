import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError, api } from '../api/client';
import type { GroupChoice, Vendor, VendorWithPeople } from '../api/views';
import { ErrorBox, Field } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/zh-TW';
import { useRouter } from '../router';
import { useSession } from '../session';
import { isoToWall, wallToIso, wallToMs } from '../time';
import { GroupPicker } from './group-picker';
import { checkRules, readiness } from './request-rules';

const PRESETS: { days: number; label: MessageKey }[] = [
  { days: 1, label: 'form.preset.1d' },
  { days: 7, label: 'form.preset.7d' },
  { days: 14, label: 'form.preset.14d' },
  { days: 30, label: 'form.preset.30d' },
];
const FIELDS = ['personId', 'workDescription', 'targetSystems', 'groups', 'validFrom', 'validTo', 'exception'];

/** This minute: a start in the past means "as soon as approved" (API.md), so the default asks for no delay. */
function thisMinute(now: number): number {
  return Math.floor(now / 60_000) * 60_000;
}

/** 資訊服務申請表: filing an access request (POST /v1/requests), every policy rule checked as it is filled in. */
export function RequestFormScreen() {
  const { t, timeZone, date, detail } = useI18n();
  const { config } = useSession();
  const { navigate, search } = useRouter();
  const [vendorQuery, setVendorQuery] = useState('');
  const [vendorPage, setVendorPage] = useState<Vendor[]>([]);
  const [vendor, setVendor] = useState<VendorWithPeople>();
  const [personId, setPersonId] = useState(search.get('personId') ?? '');
  const [workDescription, setWork] = useState('');
  const [systemsText, setSystems] = useState('');
  const [groups, setGroups] = useState<GroupChoice[]>([]);
  const [validFrom, setFrom] = useState(() => isoToWall(thisMinute(Date.now()), timeZone));
  const [validTo, setTo] = useState(() => isoToWall(thisMinute(Date.now()) + 7 * 86_400_000, timeZone));
  const [justification, setJustification] = useState('');
  const [memoRef, setMemoRef] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [loadError, setLoadError] = useState<unknown>();

  // The vendor list, or the vendors whose name matches what is typed. Which of
  // them are offered is decided at render, so choosing a vendor fetches no list.
  useEffect(() => {
    let live = true;
    const q = vendorQuery.trim();
    const timer = setTimeout(() => {
      api.get('/v1/vendors', { query: q ? { q, limit: 50 } : { limit: 100 } }).then(
        (page) => live && (setVendorPage(page.items), setLoadError(undefined)),
        (e: unknown) => live && setLoadError(e),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [vendorQuery]);
  // Active vendors, and the chosen one even if it is no longer active.
  const vendors = vendorPage.filter((v) => v.status === 'active' || v.id === vendor?.id);

  // A person given in the address (?personId=) brings their vendor.
  useEffect(() => {
    const given = search.get('personId');
    if (!given) return;
    api
      .get('/v1/people/{id}', { path: { id: given } })
      .then((p) => api.get('/v1/vendors/{id}', { path: { id: p.vendorId } }))
      .then(setVendor, setLoadError);
  }, []);

  const chooseVendor = (id: string) => {
    setPersonId('');
    if (!id) return setVendor(undefined);
    api.get('/v1/vendors/{id}', { path: { id } }).then(setVendor, setLoadError);
  };

  const person = vendor?.people?.find((p) => p.id === personId);
  const systems = systemsText
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  const from = wallToMs(validFrom, timeZone);
  const to = wallToMs(validTo, timeZone);
  const rules = useMemo(
    () =>
      checkRules({
        person,
        vendor,
        from,
        to,
        now: Date.now(),
        groups,
        systems,
        maxValidityDays: config?.policy.maxValidityDays,
        requireNda: config?.policy.requireNda,
        exceptions: config?.policy.exceptions,
        date,
      }),
    // Recomputed on every render is cheap; the list is short.
    [person, vendor, from, to, groups, systems.join('\n'), config, date],
  );
  const { met, needsException } = readiness(rules);
  // Clause 1.9: the form asks for an exception when a broken rule is relaxable, as seen here or as the API said.
  const asException = needsException || (error instanceof ApiError && error.details.some((d) => d.relaxable === true));
  const exceptionFilled = justification.trim().length > 0 && memoRef.trim().length > 0;
  const ready = met && !!personId && workDescription.trim().length > 0 && (!asException || exceptionFilled);
  const apiErrors = error instanceof ApiError ? error.fieldErrors(detail) : {};
  const brokenFor = (field: string) => [
    ...rules.filter((r) => r.field === field && r.state === 'broken').map((r) => t(r.key, r.params)),
    ...(apiErrors[field] ?? []),
  ];

  const preset = (days: number) => {
    const start = Number.isFinite(from) && from > Date.now() ? from : thisMinute(Date.now());
    setFrom(isoToWall(start, timeZone));
    setTo(isoToWall(start + days * 86_400_000, timeZone));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.post('/v1/requests', {
        body: {
          personId,
          workDescription: workDescription.trim(),
          targetSystems: systems,
          groups: groups.map((g) => g.dn),
          validFrom: wallToIso(validFrom, timeZone) ?? validFrom,
          validTo: wallToIso(validTo, timeZone) ?? validTo,
          ...(asException ? { exception: { justification: justification.trim(), memoRef: memoRef.trim() } } : {}),
        },
      });
      navigate(`/requests/${encodeURIComponent(created.id)}?created=1`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="form-title">
      <form className="paper" onSubmit={(e) => void submit(e)} noValidate>
        <header className="paper-head">
          <h1 id="form-title">{t('form.title')}</h1>
          <p>{t('form.subtitle')}</p>
        </header>
        <ErrorBox error={loadError} />
        <fieldset>
          <legend>{t('form.section.applicant')}</legend>
          <div className="grid2">
            <div>
              <Field label={t('form.vendorSearch')} hint={t('form.vendorSearchHint')}>
                {(p) => <input {...p} type="search" value={vendorQuery} onChange={(e) => setVendorQuery(e.target.value)} autoComplete="off" />}
              </Field>
              <Field label={t('form.vendor')} required>
                {(p) => (
                  <select {...p} value={vendor?.id ?? ''} onChange={(e) => chooseVendor(e.target.value)}>
                    <option value="">—</option>
                    {vendor && !vendors.some((v) => v.id === vendor.id) && <option value={vendor.id}>{vendor.name}</option>}
                    {vendors.map((v) => (
                      <option key={v.id} value={v.id}>
                        {v.name}（{v.contractRef}）
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
            <Field
              label={t('form.person')}
              required
              errors={brokenFor('personId')}
              hint={vendor && vendor.people?.length === 0 ? t('form.personNone') : undefined}
            >
              {(p) => (
                <select {...p} value={personId} onChange={(e) => setPersonId(e.target.value)} disabled={!vendor}>
                  <option value="">{t('form.personPick')}</option>
                  {vendor?.people
                    ?.filter((pp) => !pp.erasedAt)
                    .map((pp) => (
                      <option key={pp.id} value={pp.id}>
                        {pp.fullName}（{pp.email}）
                      </option>
                    ))}
                </select>
              )}
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>{t('form.section.work')}</legend>
          <Field label={t('form.workDescription')} hint={t('form.workDescriptionHint')} required errors={apiErrors.workDescription}>
            {(p) => <textarea {...p} rows={4} maxLength={2000} value={workDescription} onChange={(e) => setWork(e.target.value)} />}
          </Field>
          <Field label={t('form.targetSystems')} hint={t('form.targetSystemsHint')} required errors={apiErrors.targetSystems}>
            {(p) => <textarea {...p} rows={3} value={systemsText} onChange={(e) => setSystems(e.target.value)} />}
          </Field>
        </fieldset>
        <fieldset>
          <legend>{t('form.section.access')}</legend>
          <GroupPicker
            chosen={groups}
            onChange={setGroups}
            errors={apiErrors.groups}
            exceptions={!!config?.policy.exceptions.relaxable.includes('grantable_group')}
          />
        </fieldset>
        <fieldset>
          <legend>{t('form.section.period')}</legend>
          <div className="presets" role="group" aria-label={t('form.preset')}>
            <span>{t('form.preset')}：</span>
            {PRESETS.map((p) => (
              <button key={p.days} type="button" onClick={() => preset(p.days)}>
                {t(p.label)}
              </button>
            ))}
          </div>
          <div className="grid2">
            <Field label={t('form.validFrom')} required errors={brokenFor('validFrom')}>
              {(p) => <input {...p} type="datetime-local" value={validFrom} onChange={(e) => setFrom(e.target.value)} />}
            </Field>
            <Field label={t('form.validTo')} required errors={brokenFor('validTo')}>
              {(p) => <input {...p} type="datetime-local" value={validTo} onChange={(e) => setTo(e.target.value)} />}
            </Field>
          </div>
          <p className="muted">{t('form.timeZoneNote', { tz: timeZone })}</p>
        </fieldset>
        <fieldset>
          <legend>{t('form.section.rules')}</legend>
          <ul className="rules" aria-live="polite">
            {rules.map((r) => (
              <li key={r.key} className={`rule rule-${r.state}`}>
                <span className="rule-state">{t(r.state === 'ok' ? 'form.rule.ok' : r.state === 'broken' ? 'form.rule.broken' : 'form.rule.unknown')}</span>
                <span>{t(r.key, r.params)}</span>
                {r.state === 'broken' && r.relaxable && <span className="badge badge-pending">{t('form.rule.exceptionPossible')}</span>}
              </li>
            ))}
          </ul>
        </fieldset>
        {asException && (
          <fieldset>
            <legend>{t('form.section.exception')}</legend>
            <p className="alert alert-warn">{t('form.exceptionNote', { days: config?.policy.exceptions.maxValidityDays ?? '' })}</p>
            <Field label={t('form.justification')} hint={t('form.justificationHint')} required errors={apiErrors.exception}>
              {(p) => <textarea {...p} rows={3} maxLength={2000} value={justification} onChange={(e) => setJustification(e.target.value)} />}
            </Field>
            <Field label={t('form.memoRef')} hint={t('form.memoRefHint')} required>
              {(p) => <input {...p} maxLength={200} value={memoRef} onChange={(e) => setMemoRef(e.target.value)} />}
            </Field>
          </fieldset>
        )}
        <ErrorBox error={error} shownFields={FIELDS} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !ready}>
            {busy ? t('form.submitting') : t('form.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}
