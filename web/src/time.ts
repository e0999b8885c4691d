/**
 * Wall-clock times in the service's time zone (not the browser's): the form's
 * date fields are read and written in that zone and sent with its offset.
 */

/** Minutes east of UTC of `timeZone` at the instant `ms`. */
function offsetMinutes(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour') % 24, n('minute'), n('second'));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');

/** `2026-12-02T09:00` in `timeZone` → `2026-12-02T09:00:00+08:00`; undefined for an incomplete value. */
export function wallToIso(wall: string, timeZone: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
  if (!m) return undefined;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  let offset = offsetMinutes(guess, timeZone);
  offset = offsetMinutes(guess - offset * 60_000, timeZone);
  const sign = offset < 0 ? '-' : '+';
  return `${wall}:00${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/** An instant → the `YYYY-MM-DDTHH:mm` a datetime-local field shows, in `timeZone`. */
export function isoToWall(ms: number, timeZone: string): string {
  const local = new Date(ms + offsetMinutes(ms, timeZone) * 60_000);
  return local.toISOString().slice(0, 16);
}

/** Milliseconds of a wall time in `timeZone`, or NaN. */
export function wallToMs(wall: string, timeZone: string): number {
  const iso = wallToIso(wall, timeZone);
  return iso ? Date.parse(iso) : Number.NaN;
}

/** A calendar date (`2027-05-31`) as the end of that day in `timeZone`, with its offset. */
export function endOfDayIso(date: string, timeZone: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? wallToIso(`${date}T23:59`, timeZone) : undefined;
}

/** A calendar date as the start of that day in `timeZone`, with its offset. */
export function startOfDayIso(date: string, timeZone: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? wallToIso(`${date}T00:00`, timeZone) : undefined;
}
