/**
 * AD's FILETIME: 100-nanosecond intervals since 1601-01-01 UTC, as a decimal
 * string (accountExpires, lastLogonTimestamp, pwdLastSet). BigInt because
 * the values exceed 2^53.
 */
const EPOCH_OFFSET_MS = 11_644_473_600_000n;
const TICKS_PER_MS = 10_000n;
/** accountExpires' two spellings of "never": 0 and the largest signed 64-bit value. */
const NEVER_MAX = 0x7fff_ffff_ffff_ffffn;

/** The FILETIME string for a date. */
export function toFileTime(date: Date): string {
  return ((BigInt(date.getTime()) + EPOCH_OFFSET_MS) * TICKS_PER_MS).toString();
}

/** The date a FILETIME string stands for; undefined for "never" (0 or the maximum) or a malformed value. */
export function fromFileTime(value: string | undefined): Date | undefined {
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
  const ticks = BigInt(value);
  if (ticks <= 0n || ticks >= NEVER_MAX) return undefined;
  return new Date(Number(ticks / TICKS_PER_MS - EPOCH_OFFSET_MS));
}
