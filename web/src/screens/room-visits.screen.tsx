import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { RoomVisit } from '../api/views';
import { usePagedLoad } from '../components/paged-load';
import { usePeopleNames } from '../components/people-names';
import { ErrorBox, Loading, useLoad } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { useRouter } from '../router';
import { useSession } from '../session';
import { endOfDayIso, startOfDayIso } from '../time';
import { RoomEntryForm } from './room-entry-form';
import { mediaOf, MediaRows, MediaText, type MediaRow } from './room-media';
import { RoomReviewPanel } from './room-reviews';

const STATES = ['', 'true', 'false'] as const;

/**
 * The machine-room register (clause 1.8): requesters record entries and
 * exits with the media carried, everyone who reads sees the register with
 * its flags, approvers sign periods off (the overdue banner is for all).
 */
export function RoomVisitsScreen() {
  const { t } = useI18n();
  const { can } = useSession();
  const name = usePeopleNames();
  const [tick, setTick] = useState(0);
  const [saved, setSaved] = useState<RoomVisit>();
  const changed = (visit: RoomVisit) => {
    setSaved(visit);
    setTick((n) => n + 1);
  };
  const open = useLoad(async () => (await api.get('/v1/room-visits', { query: { open: 'true', limit: 200 } })).items, [tick]);
  const recorder = can('requester');
  return (
    <section aria-labelledby="rooms-title">
      <h1 id="rooms-title">{t('rooms.title')}</h1>
      <p className="muted">{t('rooms.intro')}</p>
      <RoomReviewPanel refresh={tick} />
      {saved && (
        <p className={saved.flags.length ? 'alert alert-warn' : 'alert alert-ok'} role="status">
          {saved.exitedAt
            ? saved.flags.length
              ? t('rooms.exitedFlagged', { name: name(saved.personId), count: saved.flags.length })
              : t('rooms.exitedClean', { name: name(saved.personId) })
            : t('rooms.entered', { name: name(saved.personId), room: saved.room })}
        </p>
      )}
      {recorder && <RoomEntryForm onSaved={changed} onStart={() => setSaved(undefined)} />}
      <section className="panel" aria-labelledby="rooms-open-title">
        <h2 id="rooms-open-title">{t('rooms.open')}</h2>
        {!open.data ? (
          <Loading error={open.error} onRetry={open.reload} />
        ) : open.data.length === 0 ? (
          <p>{t('rooms.openEmpty')}</p>
        ) : (
          <ul className="people">
            {open.data.map((v) => (
              <OpenVisit key={v.id} visit={v} personName={name(v.personId)} canExit={recorder} onExited={changed} />
            ))}
          </ul>
        )}
      </section>
      <RegisterList refresh={tick} personName={name} />
    </section>
  );
}

/** One person inside: what they brought in, and (for requesters) the exit with what they carry out. */
function OpenVisit({ visit: v, personName, canExit, onExited }: { visit: RoomVisit; personName: string; canExit: boolean; onExited: (v: RoomVisit) => void }) {
  const { t, dateTime } = useI18n();
  const [carried, setCarried] = useState<boolean[]>(() => v.media.map(() => true));
  const [extra, setExtra] = useState<MediaRow[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const exit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const mediaOut = [...v.media.filter((_, i) => carried[i]), ...mediaOf(extra)];
      onExited(await api.post('/v1/room-visits/{id}/exit', { path: { id: v.id }, body: { mediaOut } }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="panel" aria-labelledby={`visit-${v.id}`}>
      <h3 id={`visit-${v.id}`}>
        {personName} · {v.room}
      </h3>
      <dl className="facts compact">
        <dt>{t('rooms.enteredAt')}</dt>
        <dd>{dateTime(v.enteredAt)}</dd>
        <dt>{t('rooms.escortedBy')}</dt>
        <dd>{v.escortedBy}</dd>
        <dt>{t('rooms.purpose')}</dt>
        <dd>{v.purpose}</dd>
      </dl>
      {canExit ? (
        <form className="action-form" onSubmit={(e) => void exit(e)} aria-label={t('rooms.exitFor', { name: personName })} noValidate>
          <fieldset>
            <legend>{t('rooms.mediaOutCheck')}</legend>
            {v.media.length === 0 && <p className="muted">{t('rooms.noMedia')}</p>}
            {v.media.map((m, i) => (
              <label className="check" key={i}>
                <input type="checkbox" checked={carried[i] ?? false} onChange={(e) => setCarried(carried.map((c, n) => (n === i ? e.target.checked : c)))} />{' '}
                <MediaText item={m} />
              </label>
            ))}
          </fieldset>
          <MediaRows legend={t('rooms.mediaOutExtra')} rows={extra} onChange={setExtra} empty={null} />
          <ErrorBox error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {t('rooms.exit')}
          </button>
        </form>
      ) : (
        <MediaList items={v.media} />
      )}
    </li>
  );
}

function MediaList({ items }: { items: RoomVisit['media'] }) {
  const { t } = useI18n();
  if (items.length === 0) return <span className="muted">{t('common.none')}</span>;
  return (
    <ul className="plain">
      {items.map((m, i) => (
        <li key={i}>
          <MediaText item={m} />
        </li>
      ))}
    </ul>
  );
}

/** The whole register, latest entry first, narrowed by state and entry date; the flags of each exited visit. */
function RegisterList({ refresh, personName }: { refresh: number; personName: (id: string) => string }) {
  const { t, dateTime, timeZone } = useI18n();
  const { search, navigate } = useRouter();
  const state = search.get('open') ?? '';
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  const set = (key: string, value: string) => {
    const q = new URLSearchParams(search);
    if (value) q.set(key, value);
    else q.delete(key);
    navigate(`/room-visits?${q.toString()}`, { replace: true });
  };
  const list = usePagedLoad(
    (cursor) =>
      api.get('/v1/room-visits', {
        query: {
          open: state === 'true' || state === 'false' ? state : undefined,
          from: startOfDayIso(from, timeZone),
          to: endOfDayIso(to, timeZone),
          limit: 50,
          cursor,
        },
      }),
    [state, from, to, refresh],
  );
  return (
    <section className="panel" aria-labelledby="rooms-list-title">
      <h2 id="rooms-list-title">{t('rooms.list')}</h2>
      <div className="toolbar">
        <label>
          {t('rooms.state')}{' '}
          <select value={state} onChange={(e) => set('open', e.target.value)}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(s === '' ? 'common.all' : s === 'true' ? 'rooms.state.open' : 'rooms.state.exited')}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('rooms.from')} <input type="date" value={from} onChange={(e) => set('from', e.target.value)} />
        </label>
        <label>
          {t('rooms.to')} <input type="date" value={to} onChange={(e) => set('to', e.target.value)} />
        </label>
      </div>
      {!list.items ? (
        <Loading error={list.error} onRetry={list.reload} />
      ) : list.items.length === 0 ? (
        <p>{t('rooms.empty')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('rooms.enteredAt')}</th>
                <th scope="col">{t('rooms.exitedAt')}</th>
                <th scope="col">{t('form.person')}</th>
                <th scope="col">{t('rooms.room')}</th>
                <th scope="col">{t('rooms.escortedBy')}</th>
                <th scope="col">{t('rooms.mediaIn')}</th>
                <th scope="col">{t('rooms.flags')}</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((v) => (
                <tr key={v.id}>
                  <td className="nowrap">{dateTime(v.enteredAt)}</td>
                  <td className="nowrap">{v.exitedAt ? dateTime(v.exitedAt) : <span className="badge badge-pending">{t('rooms.state.open')}</span>}</td>
                  <td>{personName(v.personId)}</td>
                  <td>
                    {v.room}
                    <div className="muted">{v.purpose}</div>
                  </td>
                  <td>{v.escortedBy}</td>
                  <td>
                    <MediaList items={v.media} />
                  </td>
                  <td>
                    {v.flags.length === 0
                      ? '—'
                      : v.flags.map((f, i) => (
                          <div key={i}>
                            <span className="badge badge-failed">{t(`rooms.flag.${f.code}`)}</span> <MediaText item={f} />
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.hasMore && (
        <button type="button" onClick={() => void list.more()}>
          {t('common.more')}
        </button>
      )}
    </section>
  );
}
