import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Person } from '../api/views';
import { SimpleForm } from '../components/simple-form';
import { ErrorBox, Field, Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { Link, useRouter } from '../router';
import { useSession } from '../session';
import { endOfDayIso } from '../time';

/** Debounced text, so that a search is asked once the typing pauses. */
function useDebounced(value: string, ms = 250): string {
  const [v, setV] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setV(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return v;
}

/** Vendors and people: search both by name (GET /v1/vendors?q=, /v1/people?q=), register a vendor. */
export function VendorsScreen() {
  const { t, date, timeZone } = useI18n();
  const { can } = useSession();
  const { navigate } = useRouter();
  const [q, setQ] = useState('');
  const [pq, setPq] = useState('');
  const vendorTerm = useDebounced(q.trim());
  const personTerm = useDebounced(pq.trim());
  const vendors = useLoad(() => api.get('/v1/vendors', { query: vendorTerm ? { q: vendorTerm, limit: 50 } : { limit: 50 } }), [vendorTerm]);
  const [people, setPeople] = useState<{ items?: Person[]; error?: unknown }>({});
  useEffect(() => {
    if (personTerm.length < 2) return setPeople({});
    api.get('/v1/people', { query: { q: personTerm, limit: 50 } }).then(
      (page) => setPeople({ items: page.items }),
      (error: unknown) => setPeople({ error }),
    );
  }, [personTerm]);
  return (
    <section aria-labelledby="vendors-title">
      <h1 id="vendors-title">{t('vendors.title')}</h1>
      <div className="split">
        <div>
          <div className="toolbar">
            <Field label={t('vendors.search')}>
              {(p) => <input {...p} type="search" value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />}
            </Field>
            <Field label={t('vendors.searchPeople')}>
              {(p) => <input {...p} type="search" value={pq} onChange={(e) => setPq(e.target.value)} autoComplete="off" />}
            </Field>
          </div>
          <p className="field-hint">{t('vendors.searchHint')}</p>
          {(people.items !== undefined || people.error !== undefined) && (
            <>
              <h2>{t('vendors.people')}</h2>
              <ErrorBox error={people.error} />
              {people.items?.length === 0 && <p>{t('vendors.peopleEmpty')}</p>}
              <ul className="plain list">
                {people.items?.map((p) => (
                  <li key={p.id}>
                    <Link to={`/vendors/${encodeURIComponent(p.vendorId)}#person-${p.id}`}>{p.fullName ?? t('people.erased')}</Link>{' '}
                    <span className="muted">{p.email}</span> <span className="badge">{t(`people.status.${p.status}`)}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h2>{t('vendors.list')}</h2>
          {!vendors.data ? (
            <Loading error={vendors.error} onRetry={vendors.reload} />
          ) : vendors.data.items.length === 0 ? (
            <p>{t('vendors.empty')}</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('vendors.col.name')}</th>
                  <th scope="col">{t('vendors.col.contract')}</th>
                  <th scope="col">{t('vendors.col.contractEnds')}</th>
                  <th scope="col">{t('common.status')}</th>
                </tr>
              </thead>
              <tbody>
                {vendors.data.items.map((v) => (
                  <tr key={v.id}>
                    <td>
                      <Link to={`/vendors/${encodeURIComponent(v.id)}`}>{v.name}</Link>
                    </td>
                    <td>{v.contractRef}</td>
                    <td>{date(v.contractEndsAt)}</td>
                    <td>
                      <span className={v.status === 'active' ? 'badge badge-active' : 'badge badge-revoked'}>{t(`vendors.status.${v.status}`)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        {can('requester') && (
          <SimpleForm
            title={t('vendors.register')}
            submitLabel={t('vendors.register')}
            fields={[
              { name: 'name', label: t('vendors.name'), required: true },
              { name: 'contractRef', label: t('vendors.contractRef'), required: true },
              { name: 'contractEndsAt', label: t('vendors.contractEndsAt'), type: 'date', required: true },
            ]}
            onSubmit={(v) =>
              api.post('/v1/vendors', {
                body: { name: v.name!.trim(), contractRef: v.contractRef!.trim(), contractEndsAt: endOfDayIso(v.contractEndsAt!, timeZone) ?? '' },
              })
            }
            onDone={(created) => navigate(`/vendors/${encodeURIComponent((created as { id: string }).id)}`)}
          />
        )}
      </div>
    </section>
  );
}
