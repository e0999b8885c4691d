import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, api } from '../api/client';
import type { PersonWithRequests, RoomVisit, VendorWithPeople } from '../api/views';
import { ErrorBox, Field, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { mediaOf, MediaRows, type MediaRow } from './room-media';

const FIELDS = ['personId', 'room', 'purpose', 'escortedBy', 'requestId', 'media'];
/** Requests a visit may serve: those not yet ended. */
const LIVE = new Set(['pending', 'approved', 'provisioning', 'active']);

/** Records a vendor person entering a machine room (POST /v1/room-visits): who, where, why, escorted by whom, carrying what. */
/** `onStart`: a new entry is being recorded (the screen drops the notice of the last one). */
export function RoomEntryForm({ onSaved, onStart }: { onSaved: (visit: RoomVisit) => void; onStart?: () => void }) {
  const { t, detail } = useI18n();
  const vendors = useLoad(async () => (await api.get('/v1/vendors', { query: { limit: 200 } })).items.filter((v) => v.status === 'active'), []);
  const [vendor, setVendor] = useState<VendorWithPeople>();
  const [person, setPerson] = useState<PersonWithRequests>();
  const [personId, setPersonId] = useState('');
  const [requestId, setRequestId] = useState('');
  const [room, setRoom] = useState('');
  const [purpose, setPurpose] = useState('');
  const [escortedBy, setEscortedBy] = useState('');
  const [media, setMedia] = useState<MediaRow[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const chooseVendor = (id: string) => {
    setPersonId('');
    setVendor(undefined);
    if (id) api.get('/v1/vendors/{id}', { path: { id } }).then(setVendor, setError);
  };
  useEffect(() => {
    setRequestId('');
    setPerson(undefined);
    if (personId) api.get('/v1/people/{id}', { path: { id: personId } }).then(setPerson, setError);
  }, [personId]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    onStart?.();
    try {
      const visit = await api.post('/v1/room-visits', {
        body: {
          personId,
          room: room.trim(),
          purpose: purpose.trim(),
          escortedBy: escortedBy.trim(),
          ...(requestId ? { requestId } : {}),
          media: mediaOf(media),
        },
      });
      setPersonId('');
      setPurpose('');
      setMedia([]);
      onSaved(visit);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const errors = error instanceof ApiError ? error.fieldErrors(detail) : {};
  const people = vendor?.people?.filter((p) => p.status === 'active') ?? [];
  const requests = person?.requests?.filter((r) => LIVE.has(r.status)) ?? [];
  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="room-entry-title" noValidate>
      <h2 id="room-entry-title">{t('rooms.enter')}</h2>
      <div className="grid2">
        <Field label={t('form.vendor')} required>
          {(p) => (
            <select {...p} value={vendor?.id ?? ''} onChange={(e) => chooseVendor(e.target.value)}>
              <option value="">—</option>
              {vendors.data?.map((v) => (
                <option key={v.id} value={v.id}>
                  {v.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('form.person')} required errors={errors.personId}>
          {(p) => (
            <select {...p} value={personId} onChange={(e) => setPersonId(e.target.value)} disabled={!vendor}>
              <option value="">{t('form.personPick')}</option>
              {people.map((pp) => (
                <option key={pp.id} value={pp.id}>
                  {pp.fullName}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('rooms.room')} required errors={errors.room} hint={t('rooms.roomHint')}>
          {(p) => <input {...p} value={room} onChange={(e) => setRoom(e.target.value)} maxLength={100} />}
        </Field>
        <Field label={t('rooms.escortedBy')} required errors={errors.escortedBy} hint={t('rooms.escortHint')}>
          {(p) => <input {...p} value={escortedBy} onChange={(e) => setEscortedBy(e.target.value)} maxLength={200} />}
        </Field>
        <Field label={t('rooms.purpose')} required errors={errors.purpose}>
          {(p) => <textarea {...p} rows={2} value={purpose} onChange={(e) => setPurpose(e.target.value)} maxLength={1000} />}
        </Field>
        <Field label={t('rooms.request')} errors={errors.requestId} hint={t('rooms.requestHint')}>
          {(p) => (
            <select {...p} value={requestId} onChange={(e) => setRequestId(e.target.value)} disabled={requests.length === 0}>
              <option value="">{t('common.none')}</option>
              {requests.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.id}（{t(`status.${r.status}`)}）{r.workDescription.slice(0, 40)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <MediaRows legend={t('rooms.mediaIn')} rows={media} onChange={setMedia} errors={errors.media} />
      <ErrorBox error={error} shownFields={FIELDS} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !personId}>
          {t('rooms.enterSubmit')}
        </button>
      </div>
    </form>
  );
}
