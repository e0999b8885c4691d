import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { Loading, StatusBadge, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { Link, useRouter } from '../router';
import { useSession } from '../session';
import { CredentialReveal } from './credential-reveal';
import { HandoverPanel } from './handover-panel';
import { RequestEvidenceLink } from './evidence-link';
import { ActionButton } from './request-actions';

const isRelaxable = (rule: string): rule is 'max_validity_days' | 'grantable_group' => rule === 'max_validity_days' || rule === 'grantable_group';

/** One request: what was asked, its timeline, and the actions the signed-in person may take on it now. */
export function RequestDetailScreen({ id }: { id: string }) {
  const { t, dateTime, step } = useI18n();
  const { me, can, config } = useSession();
  const { search, navigate, path: here } = useRouter();
  const [done, setDone] = useState<string | undefined>(search.get('created') ? t('form.created') : undefined);
  // The note that the request was filed is shown once: a reload of the page does not repeat it.
  useEffect(() => {
    if (search.get('created')) navigate(here, { replace: true });
  }, [search, navigate, here]);
  const data = useLoad(async () => {
    const request = await api.get('/v1/requests/{id}', { path: { id } });
    const [person, vendor, audit] = await Promise.all([
      api.get('/v1/people/{id}', { path: { id: request.personId } }).catch(() => undefined),
      api.get('/v1/vendors/{id}', { path: { id: request.vendorId } }).catch(() => undefined),
      can('auditor') ? api.get('/v1/audit', { query: { subject: `request:${id}`, limit: 200 } }).catch(() => undefined) : undefined,
    ]);
    return { request, person, vendor, audit: audit?.items ?? [] };
  }, [id]);
  if (!data.data) return <Loading error={data.error} onRetry={data.reload} />;
  const { request: r, person, vendor, audit } = data.data;
  const own = r.requester === me?.name;
  const after = (label: string) => {
    setDone(t('detail.done', { action: label }));
    data.reload();
  };
  const path = { id: r.id };
  const pending = r.status === 'pending';
  // Clause 1.9: an exception needs the usual approval and an exception approval, by two people other than the requester.
  const gaveExceptionApproval = !!r.exception?.approvals.some((a) => a.by === me?.name);
  const mayApproveException = pending && !!r.exception && r.exception.approvals.length === 0 && !own && r.approval?.by !== me?.name;
  const actions = [
    can('approver') && pending && !own && !r.approval && !gaveExceptionApproval && (
      <ActionButton
        key="approve"
        label={t('detail.approve')}
        text={{ name: 'comment', label: t('detail.comment'), required: false }}
        onRun={(comment) => api.post('/v1/requests/{id}/approve', { path, body: { comment } })}
        onDone={after}
      />
    ),
    can('exception-approver') && mayApproveException && (
      <ActionButton
        key="approveException"
        label={t('detail.approveException')}
        text={{ name: 'comment', label: t('detail.comment'), required: false }}
        onRun={(comment) => api.post('/v1/requests/{id}/exception/approve', { path, body: { comment } })}
        onDone={after}
      />
    ),
    can('exception-approver') && mayApproveException && (
      <ActionButton
        key="rejectException"
        danger
        label={t('detail.rejectException')}
        text={{ name: 'reason', label: t('detail.reason'), required: true }}
        onRun={(reason) => api.post('/v1/requests/{id}/exception/reject', { path, body: { reason: reason ?? '' } })}
        onDone={after}
      />
    ),
    can('approver') && r.status === 'pending' && (
      <ActionButton
        key="reject"
        danger
        label={t('detail.reject')}
        text={{ name: 'reason', label: t('detail.reason'), required: true }}
        onRun={(reason) => api.post('/v1/requests/{id}/reject', { path, body: { reason: reason ?? '' } })}
        onDone={after}
      />
    ),
    can('requester') && (r.status === 'pending' || r.status === 'approved') && (
      <ActionButton key="cancel" label={t('detail.cancel')} onRun={() => api.post('/v1/requests/{id}/cancel', { path, body: {} })} onDone={after} />
    ),
    can('requester', 'approver') && ['approved', 'provisioning', 'active', 'failed'].includes(r.status) && !r.revocation && (
      <ActionButton
        key="revoke"
        danger
        label={t('detail.revoke')}
        text={{ name: 'reason', label: t('detail.reason'), required: true }}
        onRun={(reason) => api.post('/v1/requests/{id}/revoke', { path, body: { reason: reason ?? '' } })}
        onDone={after}
      />
    ),
    can('admin') && r.status === 'failed' && !r.revocation && (
      <ActionButton key="retry" label={t('detail.retry')} onRun={() => api.post('/v1/requests/{id}/retry', { path, body: {} })} onDone={after} />
    ),
    can('auditor') && (r.status === 'expired' || r.status === 'revoked') && (
      <ActionButton
        key="signoff"
        label={t('detail.signOff')}
        text={{ name: 'note', label: t('detail.note'), required: false }}
        onRun={(note) => api.post('/v1/requests/{id}/sign-off', { path, body: { note } })}
        onDone={after}
      />
    ),
  ].filter(Boolean);
  return (
    <section aria-labelledby="detail-title">
      <p>
        <Link to="/requests">← {t('nav.requests')}</Link>
      </p>
      <h1 id="detail-title">
        {t('detail.title', { id: r.id })} <StatusBadge status={r.status} />
      </h1>
      {done && (
        <p className="alert alert-ok" role="status">
          {done}
        </p>
      )}
      <div className="detail-grid">
        <dl className="facts">
          <dt>{t('detail.vendor')}</dt>
          <dd>{vendor ? <Link to={`/vendors/${encodeURIComponent(vendor.id)}`}>{vendor.name}</Link> : r.vendorId}</dd>
          <dt>{t('detail.person')}</dt>
          <dd>{person ? (person.erasedAt ? t('people.erased') : `${person.fullName}（${person.email}）`) : r.personId}</dd>
          <dt>{t('detail.requester')}</dt>
          <dd>{r.requester}</dd>
          <dt>{t('detail.validity')}</dt>
          <dd>{t('time.range', { from: dateTime(r.validFrom), to: dateTime(r.validTo) })}</dd>
          <dt>{t('detail.work')}</dt>
          <dd className="prewrap">{r.workDescription}</dd>
          <dt>{t('detail.systems')}</dt>
          <dd>{r.targetSystems.join('、')}</dd>
          <dt>{t('detail.groups')}</dt>
          <dd>
            <ul className="plain">
              {r.groups.map((g) => (
                <li key={g}>
                  <code>{g}</code>
                </li>
              ))}
            </ul>
          </dd>
          <dt>{t('detail.account')}</dt>
          <dd>{r.account ? `${r.account.username} — ${t('detail.accountState', { state: t(`account.${r.account.state}`) })}` : t('common.none')}</dd>
          {r.approval && (
            <>
              <dt>{t('status.approved')}</dt>
              <dd>
                {t('detail.byAt', { by: r.approval.by, at: dateTime(r.approval.at) })} {r.approval.comment}
              </dd>
            </>
          )}
          {r.exception && (
            <>
              <dt>{t('detail.exception')}</dt>
              <dd className="exception">
                <p className="prewrap">{r.exception.justification}</p>
                <p>{t('detail.memoRef', { ref: r.exception.memoRef })}</p>
                <p>
                  {t('detail.exceptionRules', { rules: r.exception.rules.map((rule) => (isRelaxable(rule) ? t(`exceptionRule.${rule}`) : rule)).join(' · ') })}
                </p>
                {r.exception.approvals.length === 0 ? (
                  <p className="muted">{t('detail.exceptionNotApproved')}</p>
                ) : (
                  <ul className="plain">
                    {r.exception.approvals.map((a) => (
                      <li key={a.by + a.at}>
                        {t('detail.exceptionApprovedBy', { by: a.by, at: dateTime(a.at) })} {a.comment}
                      </li>
                    ))}
                  </ul>
                )}
              </dd>
            </>
          )}
          {r.rejection && (
            <>
              <dt>{t('status.rejected')}</dt>
              <dd>
                {t('detail.byAt', { by: r.rejection.by, at: dateTime(r.rejection.at) })} {r.rejection.reason}
              </dd>
            </>
          )}
          {r.cancellation && (
            <>
              <dt>{t('status.cancelled')}</dt>
              <dd>{t('detail.byAt', { by: r.cancellation.by, at: dateTime(r.cancellation.at) })}</dd>
            </>
          )}
          {r.revocation && (
            <>
              <dt>{t('detail.revocation')}</dt>
              <dd>
                {t('detail.revocationText', { trigger: t(`trigger.${r.revocation.trigger}`), by: r.revocation.by, at: dateTime(r.revocation.requestedAt) })}{' '}
                {r.revocation.reason}
              </dd>
            </>
          )}
          {r.failure && (
            <>
              <dt>{t('status.failed')}</dt>
              <dd>{t('detail.failure', { reason: r.failure.reason })}</dd>
            </>
          )}
          {r.flags && r.flags.length > 0 && (
            <>
              <dt>{t('detail.flags')}</dt>
              <dd>
                <ul className="plain">
                  {r.flags.map((f, i) => (
                    <li key={i}>
                      {dateTime(f.at)} <code>{f.kind}</code> {f.detail}
                    </li>
                  ))}
                </ul>
              </dd>
            </>
          )}
        </dl>
        <div>
          {own && r.credential === 'available' && can('requester') && (
            <>
              {/* Clauses 1.6.4/1.1.9: with handover to the vendor (or once a pickup link exists) the requester never sees the password. */}
              {config?.policy.credentials.handover === 'vendor' || r.handover ? (
                <p className="muted">{t('handover.vendorOnly')}</p>
              ) : (
                <CredentialReveal requestId={r.id} onTaken={data.reload} />
              )}
              <HandoverPanel request={r} pickupHours={config?.policy.credentials.pickupHours ?? 24} onIssued={data.reload} />
            </>
          )}
          {own && r.credential === 'retrieved' && (
            <p className="muted">{r.handover?.usedAt ? t('handover.pickedUp', { at: dateTime(r.handover.usedAt) }) : t('detail.credentialRetrieved')}</p>
          )}
          {can('approver') && r.status === 'pending' && own && <p className="alert alert-warn">{t('detail.ownRequest')}</p>}
          {pending && r.exception && (r.approval || r.exception.approvals.length > 0) && (
            <p className="alert alert-warn" role="status">
              {t(r.approval ? 'detail.awaitingExceptionApproval' : 'detail.awaitingApproval')}
            </p>
          )}
          {actions.length > 0 && (
            <div className="action-bar" role="group" aria-label={t('common.actions')}>
              {actions}
            </div>
          )}
          <RequestEvidenceLink requestId={r.id} />
          <h2>{t('detail.timeline')}</h2>
          <ol className="timeline">
            {r.history.map((h, i) => (
              <li key={i}>
                <time dateTime={h.at}>{dateTime(h.at)}</time>
                <span className="timeline-what">
                  {h.to ? <StatusBadge status={h.to} /> : step(h.action)} {h.actor}
                </span>
                {h.note && <span className="timeline-note">{h.note}</span>}
              </li>
            ))}
          </ol>
          {audit.length > 0 && (
            <>
              <h2>{t('detail.audit')}</h2>
              <ol className="timeline">
                {audit.map((a) => (
                  <li key={a.seq}>
                    <time dateTime={a.at}>{dateTime(a.at)}</time>
                    <span className="timeline-what">
                      <code>{a.action}</code> {a.actor} {a.outcome && a.outcome !== 'success' ? `(${a.outcome})` : ''}
                    </span>
                  </li>
                ))}
              </ol>
            </>
          )}
        </div>
      </div>
    </section>
  );
}
