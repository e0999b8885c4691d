import { useState, type FormEvent } from 'react';
import { ApiError, api } from '../api/client';
import type { Role } from '../api/views';
import { CopyButton, ErrorBox, Field, Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session';
import { ActionButton } from './request-actions';

const TOKEN_ROLES: Role[] = ['requester', 'approver', 'auditor', 'admin', 'automation', 'log-source', 'exception-approver'];

/** A secret shown once, with a copy button; gone when the page is left. */
function OneTimeSecret({ label, secret }: { label: string; secret: string }) {
  return (
    <div className="credential credential-shown" role="region" aria-label={label}>
      <p>{label}</p>
      <p>
        <code className="secret">{secret}</code>
        <CopyButton text={secret} />
      </p>
    </div>
  );
}

/** Machine tokens: create, rotate, revoke (/v1/tokens); the new secret is shown once. */
function Tokens() {
  const { t, dateTime, detail } = useI18n();
  const list = useLoad(async () => (await api.get('/v1/tokens')).items, []);
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [error, setError] = useState<unknown>();
  const [shown, setShown] = useState<{ label: string; secret: string }>();
  const [done, setDone] = useState<string>();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const created = await api.post('/v1/tokens', { body: { name: name.trim(), roles } });
      if (created.token) setShown({ label: t('admin.tokenCreated'), secret: created.token });
      setName('');
      setRoles([]);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const errors = error instanceof ApiError ? error.fieldErrors(detail) : {};
  return (
    <section className="panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title">{t('admin.tokens')}</h2>
      {shown && <OneTimeSecret {...shown} />}
      {done && (
        <p className="alert alert-ok" role="status">
          {done}
        </p>
      )}
      {!list.data ? (
        <Loading error={list.error} onRetry={list.reload} />
      ) : list.data.length === 0 ? (
        <p>{t('admin.tokensEmpty')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin.tokenName')}</th>
              <th scope="col">{t('admin.tokenRoles')}</th>
              <th scope="col">{t('admin.col.created')}</th>
              <th scope="col">{t('admin.col.lastSeen')}</th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((tok) => (
              <tr key={tok.id}>
                <td>{tok.name}</td>
                <td>{tok.roles.map((r) => t(`role.${r}`)).join('、')}</td>
                <td>{tok.createdAt ? `${dateTime(tok.createdAt)} ${tok.createdBy ?? ''}` : '—'}</td>
                <td>{dateTime(tok.lastUsedAt)}</td>
                <td>
                  {tok.revocable ? (
                    <div className="action-bar">
                      <ActionButton
                        label={t('admin.tokenRotate')}
                        onRun={async () => {
                          const r = await api.post('/v1/tokens/{id}/rotate', { path: { id: tok.id }, body: {} });
                          if (r.token) setShown({ label: t('admin.tokenRotated', { name: tok.name }), secret: r.token });
                        }}
                        onDone={list.reload}
                      />
                      <ActionButton
                        danger
                        label={t('admin.tokenRevoke')}
                        onRun={() => api.delete('/v1/tokens/{id}', { path: { id: tok.id } })}
                        onDone={() => {
                          setDone(t('admin.tokenRevoked', { name: tok.name }));
                          list.reload();
                        }}
                      />
                    </div>
                  ) : (
                    <span className="muted">{t('admin.fileToken')}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={(e) => void create(e)} aria-label={t('admin.tokenCreate')} noValidate>
        <h3>{t('admin.tokenCreate')}</h3>
        <Field label={t('admin.tokenName')} required errors={errors.name}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
        </Field>
        <fieldset className="radios">
          <legend>{t('admin.tokenRoles')}</legend>
          {TOKEN_ROLES.map((r) => (
            <label key={r}>
              <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles(e.target.checked ? [...roles, r] : roles.filter((x) => x !== r))} />{' '}
              {t(`role.${r}`)}
            </label>
          ))}
        </fieldset>
        {errors.roles && <p className="field-error">{errors.roles.join(' ')}</p>}
        <ErrorBox error={error} shownFields={['name', 'roles']} />
        <button type="submit" className="primary" disabled={!name.trim() || roles.length === 0}>
          {t('admin.tokenCreate')}
        </button>
      </form>
    </section>
  );
}

/** A staff member's sessions (GET /v1/auth/staff/:name/sessions), and signing them out everywhere. */
function StaffSessions() {
  const { t, dateTime } = useI18n();
  const [name, setName] = useState('');
  const [shown, setShown] = useState<string>();
  const [done, setDone] = useState<string>();
  const list = useLoad(async () => (shown ? (await api.get('/v1/auth/staff/{name}/sessions', { path: { name: shown } })).items : undefined), [shown]);
  return (
    <section className="panel" aria-labelledby="staff-title">
      <h2 id="staff-title">{t('admin.staffSessions')}</h2>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setDone(undefined);
          setShown(name.trim() || undefined);
        }}
      >
        <Field label={t('admin.staffName')}>{(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <button type="submit">{t('admin.staffLookup')}</button>
      </form>
      {done && (
        <p className="alert alert-ok" role="status">
          {done}
        </p>
      )}
      {shown &&
        (!list.data ? (
          <Loading error={list.error} onRetry={list.reload} />
        ) : list.data.length === 0 ? (
          <p>{t('admin.staffNone')}</p>
        ) : (
          <>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('admin.col.created')}</th>
                  <th scope="col">{t('admin.col.lastSeen')}</th>
                  <th scope="col">{t('admin.col.expires')}</th>
                  <th scope="col">{t('admin.col.ip')}</th>
                  <th scope="col">{t('admin.tokenRoles')}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((s) => (
                  <tr key={s.id}>
                    <td>{dateTime(s.createdAt)}</td>
                    <td>{dateTime(s.lastSeenAt)}</td>
                    <td>{dateTime(s.expiresAt)}</td>
                    <td>{s.ip}</td>
                    <td>{s.roles.map((r) => t(`role.${r}`)).join('、')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="action-bar">
              <ActionButton
                danger
                label={t('admin.staffRevokeAll')}
                onRun={async () => {
                  const r = await api.delete('/v1/auth/staff/{name}/sessions', { path: { name: shown } });
                  setDone(t('admin.staffRevoked', { count: r.revoked }));
                }}
                onDone={list.reload}
              />
            </div>
          </>
        ))}
    </section>
  );
}

/** Administration: machine tokens, staff sessions, and the policy in force (read-only). */
export function AdminScreen() {
  const { t } = useI18n();
  const { config } = useSession();
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">{t('admin.title')}</h1>
      <Tokens />
      <StaffSessions />
      <section className="panel" aria-labelledby="policy-title">
        <h2 id="policy-title">{t('admin.policy')}</h2>
        {config ? (
          <>
            <p>{t('admin.timeZone', { tz: config.timeZone })}</p>
            <pre className="policy" tabIndex={0}>
              {JSON.stringify(config.policy, null, 2)}
            </pre>
          </>
        ) : (
          <Loading />
        )}
      </section>
    </section>
  );
}
