import type { RoomVisit } from '../api/views';
import { useI18n } from '../i18n/i18n';

export type MediaItem = RoomVisit['media'][number];
export type MediaKind = MediaItem['kind'];
export const MEDIA_KINDS = ['laptop', 'usb', 'disk', 'tape', 'optical', 'phone', 'other'] as const satisfies readonly MediaKind[];

/** A media row as typed: the serial may be blank. */
export interface MediaRow {
  kind: MediaKind;
  description: string;
  serial: string;
}

export const emptyRow = (): MediaRow => ({ kind: 'laptop', description: '', serial: '' });

/** The rows the API takes: blank rows dropped, a blank serial left out. */
export function mediaOf(rows: MediaRow[]): MediaItem[] {
  return rows
    .filter((r) => r.description.trim() || r.serial.trim())
    .map((r) => ({ kind: r.kind, description: r.description.trim(), ...(r.serial.trim() ? { serial: r.serial.trim() } : {}) }));
}

/** One item as text: kind, description, serial. */
export function MediaText({ item }: { item: MediaItem }) {
  const { t } = useI18n();
  return (
    <>
      {t(`rooms.kind.${item.kind}`)}：{item.description}
      {item.serial && (
        <span className="muted">
          （{t('rooms.serial')} {item.serial}）
        </span>
      )}
    </>
  );
}

/** Editable rows of media (kind, description, serial), each removable, and a button for one more; `empty` says what no row means (null: nothing). */
export function MediaRows({
  rows,
  onChange,
  legend,
  errors,
  empty,
}: {
  rows: MediaRow[];
  onChange: (rows: MediaRow[]) => void;
  legend: string;
  errors?: string[];
  empty?: string | null;
}) {
  const { t } = useI18n();
  const set = (i: number, patch: Partial<MediaRow>) => onChange(rows.map((r, n) => (n === i ? { ...r, ...patch } : r)));
  return (
    <fieldset className="media-rows">
      <legend>{legend}</legend>
      {rows.length === 0 && empty !== null && <p className="muted">{empty ?? t('rooms.noMedia')}</p>}
      {rows.map((r, i) => (
        <div className="media-row" key={i} role="group" aria-label={t('rooms.mediaRow', { n: i + 1 })}>
          <label>
            {t('rooms.kind')}
            <select value={r.kind} onChange={(e) => set(i, { kind: e.target.value as MediaKind })}>
              {MEDIA_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`rooms.kind.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('rooms.description')}
            <input value={r.description} onChange={(e) => set(i, { description: e.target.value })} maxLength={200} />
          </label>
          <label>
            {t('rooms.serial')}
            <input value={r.serial} onChange={(e) => set(i, { serial: e.target.value })} maxLength={100} />
          </label>
          <button type="button" className="link-button" onClick={() => onChange(rows.filter((_, n) => n !== i))}>
            {t('rooms.removeMedia')}
          </button>
        </div>
      ))}
      {errors?.length ? <p className="field-error">{errors.join(' ')}</p> : null}
      <button type="button" onClick={() => onChange([...rows, emptyRow()])}>
        {t('rooms.addMedia')}
      </button>
    </fieldset>
  );
}
