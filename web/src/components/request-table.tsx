import type { AccessRequest } from '../api/views';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { usePeopleNames } from './people-names';
import { StatusBadge } from './ui';

/**
 * Requests as a table, one row each, linking to the request: the home
 * screen's recent requests and the request list share it so that a column
 * added to one appears in both.
 *
 * `withAccount` shows the account's username under the person (the full
 * list, where people look for an account); without it the person's name
 * stays on one line (the home screen's short list).
 */
export function RequestTable({ requests, withAccount = false }: { requests: AccessRequest[]; withAccount?: boolean }) {
  const { t, dateTime } = useI18n();
  const personName = usePeopleNames();
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">{t('requests.col.id')}</th>
          <th scope="col">{t('requests.col.person')}</th>
          <th scope="col">{t('requests.col.work')}</th>
          <th scope="col">{t('requests.col.requester')}</th>
          <th scope="col">{t('requests.col.validity')}</th>
          <th scope="col">{t('requests.col.status')}</th>
        </tr>
      </thead>
      <tbody>
        {requests.map((r) => (
          <tr key={r.id}>
            <td>
              <Link to={`/requests/${encodeURIComponent(r.id)}`}>{r.id}</Link>
            </td>
            {withAccount ? (
              <td>
                {personName(r.personId)}
                {r.account && <div className="muted small">{r.account.username}</div>}
              </td>
            ) : (
              <td className="nowrap">{personName(r.personId)}</td>
            )}
            <td className="truncate">{r.workDescription}</td>
            <td>{r.requester}</td>
            <td>{t('time.range', { from: dateTime(r.validFrom), to: dateTime(r.validTo) })}</td>
            <td>
              <StatusBadge status={r.status} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
