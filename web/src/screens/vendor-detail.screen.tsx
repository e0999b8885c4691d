import { useState } from 'react';
import { api } from '../api/client';
import type { Person, Vendor } from '../api/views';
import { SimpleForm } from '../components/simple-form';
import { Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { startOfDayIso, wallToIso } from '../time';
import { VendorEvidenceForm } from './evidence-link';
import { EraseButton } from './person-erase';
import { ActionButton } from './request-actions';

/** One vendor: contract, termination, its people (NDA, departure) and registering another. */
export function VendorDetailScreen({ id }: { id: string }) {
  const { t, date, dateTime, timeZone } = useI18n();
  const { can } = useSession();
  const [done, setDone] = useState<string>();
  const data = useLoad(() => api.get('/v1/vendors/{id}', { path: { id } }), [id]);
  if (!data.data) return <Loading error={data.error} onRetry={data.reload} />;
  const v = data.data;
  const after = (message: string) => () => {
    setDone(message);
    data.reload();
  };
  return (
    <section aria-labelledby="vendor-title">
      <p>
        <Link to="/vendors">← {t('vendors.title')}</Link>
      </p>
      <h1 id="vendor-title">
        {v.name} <span className={v.status === 'active' ? 'badge badge-active' : 'badge badge-revoked'}>{t(`vendors.status.${v.status}`)}</span>
      </h1>
      {done && (
        <p className="alert alert-ok" role="status">
          {done}
        </p>
      )}
      <div className="detail-grid">
        <div>
          <dl className="facts">
            <dt>{t('vendors.contractRef')}</dt>
            <dd>{v.contractRef}</dd>
            <dt>{t('vendors.contractEndsAt')}</dt>
            <dd>{date(v.contractEndsAt)}</dd>
            {v.terminatedAt && (
              <>
                <dt>{t('vendors.status.terminated')}</dt>
                <dd>
                  {dateTime(v.terminatedAt)} {v.terminationReason}
                </dd>
              </>
            )}
          </dl>
          {can('approver') && v.status === 'active' && (
            <div className="action-bar">
              <ActionButton
                danger
                label={t('vendors.terminate')}
                text={{ name: 'reason', label: t('detail.reason'), required: true }}
                onRun={(reason) => api.post('/v1/vendors/{id}/terminate', { path: { id }, body: { reason: reason ?? '' } })}
                onDone={after(t('vendors.terminated'))}
              />
            </div>
          )}
          <h2>{t('vendors.people')}</h2>
          <ul className="people">
            {(v.people ?? []).map((p) => (
              <PersonCard key={p.id} person={p} vendor={v} onDeparted={after(t('people.departed'))} onErased={after(t('people.erasedDone'))} />
            ))}
          </ul>
          <VendorEvidenceForm vendorId={v.id} />
        </div>
        {can('requester') && v.status === 'active' && (
          <SimpleForm
            title={t('vendors.addPerson')}
            submitLabel={t('vendors.addPerson')}
            fields={[
              { name: 'fullName', label: t('people.fullName'), required: true },
              { name: 'latinName', label: t('people.latinName'), hint: t('people.latinNameHint') },
              { name: 'email', label: t('people.email'), type: 'email', required: true },
              { name: 'phone', label: t('people.phone'), type: 'tel' },
              { name: 'ndaSignedAt', label: t('people.ndaSignedAt'), type: 'date', required: true },
              { name: 'ndaRef', label: t('people.ndaRef'), required: true },
            ]}
            onSubmit={(f) =>
              api.post('/v1/vendors/{id}/people', {
                path: { id },
                body: {
                  fullName: f.fullName!.trim(),
                  latinName: f.latinName?.trim() || undefined,
                  email: f.email!.trim(),
                  phone: f.phone?.trim() || undefined,
                  ndaSignedAt: startOfDayIso(f.ndaSignedAt!, timeZone) ?? '',
                  ndaRef: f.ndaRef!.trim(),
                },
              })
            }
            onDone={(_r, f) => after(t('vendors.personAdded', { name: f.fullName ?? '' }))()}
          />
        )}
      </div>
    </section>
  );
}

/** One person of a vendor: contact, NDA, departure; a request for them, or their departure. */
function PersonCard({ person: p, vendor: v, onDeparted, onErased }: { person: Person; vendor: Vendor; onDeparted: () => void; onErased: () => void }) {
  const { t, date, dateTime } = useI18n();
  const { can } = useSession();
  return (
    <li className="panel person" id={`person-${p.id}`}>
      <h3>
        {p.erasedAt ? <span className="muted">{t('people.erased')}</span> : p.fullName}{' '}
        <span className={p.status === 'active' ? 'badge badge-active' : 'badge badge-revoked'}>{t(`people.status.${p.status}`)}</span>
      </h3>
      <dl className="facts compact">
        {p.latinName && (
          <>
            <dt>{t('people.latinName')}</dt>
            <dd>{p.latinName}</dd>
          </>
        )}
        {p.email && (
          <>
            <dt>{t('people.email')}</dt>
            <dd>{p.email}</dd>
          </>
        )}
        {p.erasedAt && (
          <>
            <dt>{t('people.erasedAt')}</dt>
            <dd>
              {dateTime(p.erasedAt)} {p.erasedBy}
            </dd>
          </>
        )}
        {p.phone && (
          <>
            <dt>{t('people.phone')}</dt>
            <dd>{p.phone}</dd>
          </>
        )}
        <dt>{t('people.nda')}</dt>
        <dd>
          {p.ndaRef}（{date(p.ndaSignedAt)}）
        </dd>
        {p.departureScheduledAt && (
          <>
            <dt>{t('people.departure')}</dt>
            <dd>{t('people.departureScheduled', { date: dateTime(p.departureScheduledAt) })}</dd>
          </>
        )}
        {p.departedAt && (
          <>
            <dt>{t('people.status.departed')}</dt>
            <dd>
              {dateTime(p.departedAt)} {p.departureReason}
            </dd>
          </>
        )}
      </dl>
      {p.status === 'active' && !p.erasedAt && (
        <div className="action-bar">
          {can('requester') && v.status === 'active' && (
            <Link className="button" to={`/requests/new?personId=${encodeURIComponent(p.id)}`}>
              {t('people.newRequest')}
            </Link>
          )}
          {can('requester', 'approver') && <DepartureButton personId={p.id} onDone={onDeparted} />}
        </div>
      )}
      {can('admin') && !p.erasedAt && (
        <div className="action-bar">
          <EraseButton personId={p.id} onDone={onErased} />
        </div>
      )}
    </li>
  );
}

/** A departure, now or at a time given in the service's time zone: revokes all the person's accounts then. */
function DepartureButton({ personId, onDone }: { personId: string; onDone: () => void }) {
  const { t, timeZone } = useI18n();
  const [effective, setEffective] = useState('');
  return (
    <ActionButton
      danger
      label={t('people.departure')}
      text={{ name: 'reason', label: t('detail.reason'), required: true }}
      extra={
        <label className="field">
          <span>{t('people.effectiveAt')}</span>
          <input type="datetime-local" value={effective} onChange={(e) => setEffective(e.target.value)} />
        </label>
      }
      onRun={(reason) =>
        api.post('/v1/people/{id}/departure', {
          path: { id: personId },
          body: { reason: reason ?? '', effectiveAt: effective ? wallToIso(effective, timeZone) : undefined },
        })
      }
      onDone={onDone}
    />
  );
}
