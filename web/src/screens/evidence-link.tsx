import { useState } from 'react';
import { Field } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session';
import { endOfDayIso, isoToWall, startOfDayIso } from '../time';

const DAY = 86_400_000;

/**
 * The evidence pack of one request (clause 1.1.4), for auditors: the
 * service's printable document in a new tab, in the console's language (the
 * browser prints it to PDF); the same content as JSON beside it.
 */
export function RequestEvidenceLink({ requestId }: { requestId: string }) {
  const { t, lang } = useI18n();
  const { can } = useSession();
  if (!can('auditor')) return null;
  const base = `/v1/requests/${encodeURIComponent(requestId)}/evidence`;
  return (
    <p className="evidence-links">
      <a className="button" href={`${base}?lang=${lang}`} target="_blank" rel="noopener noreferrer">
        {t('evidence.open')}
      </a>{' '}
      <a href={`${base}?format=json`} target="_blank" rel="noopener noreferrer">
        {t('evidence.json')}
      </a>
    </p>
  );
}

/** The evidence pack of one vendor over a period of the auditor's choosing (whole days in the service's time zone). */
export function VendorEvidenceForm({ vendorId }: { vendorId: string }) {
  const { t, lang, timeZone } = useI18n();
  const { can } = useSession();
  const today = isoToWall(Date.now(), timeZone).slice(0, 10);
  const [from, setFrom] = useState(isoToWall(Date.now() - 90 * DAY, timeZone).slice(0, 10));
  const [to, setTo] = useState(today);
  if (!can('auditor')) return null;
  const fromIso = startOfDayIso(from, timeZone);
  const toIso = endOfDayIso(to, timeZone);
  const valid = Boolean(fromIso && toIso && fromIso <= toIso);
  const query = valid ? `from=${encodeURIComponent(fromIso!)}&to=${encodeURIComponent(toIso!)}` : '';
  const base = `/v1/vendors/${encodeURIComponent(vendorId)}/evidence`;
  return (
    <section className="panel" aria-labelledby="vendor-evidence-title">
      <h2 id="vendor-evidence-title">{t('evidence.title')}</h2>
      <p className="muted">{t('evidence.vendorHint')}</p>
      <div className="grid2">
        <Field label={t('evidence.from')}>{(p) => <input {...p} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
        <Field label={t('evidence.to')}>{(p) => <input {...p} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}</Field>
      </div>
      {valid ? (
        <p className="evidence-links">
          <a className="button" href={`${base}?${query}&lang=${lang}`} target="_blank" rel="noopener noreferrer">
            {t('evidence.open')}
          </a>{' '}
          <a href={`${base}?${query}&format=json`} target="_blank" rel="noopener noreferrer">
            {t('evidence.json')}
          </a>
        </p>
      ) : (
        <p className="alert alert-error" role="status">
          {t('evidence.badPeriod')}
        </p>
      )}
    </section>
  );
}
