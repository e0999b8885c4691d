/**
 * The machine-room register (clause 1.8): who from which vendor entered which
 * room, escorted by whom, with which laptops and storage media, and what they
 * carried out again; and the periodic reviews that sign a period of it off.
 */

/** What a vendor may carry in: the register asks for each by kind. */
export const MEDIA_KINDS = ['laptop', 'usb', 'disk', 'tape', 'optical', 'phone', 'other'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** One item carried in or out; `serial` identifies it when the item has one. */
export interface MediaItem {
  kind: MediaKind;
  description: string;
  serial?: string;
}

/**
 * A mismatch found at exit: `not_taken_out` brought in and not carried out
 * (left in the room), `not_brought_in` carried out but never registered on
 * the way in (possibly the school's own media leaving).
 */
export const VISIT_FLAG_CODES = ['not_taken_out', 'not_brought_in'] as const;
export type VisitFlagCode = (typeof VISIT_FLAG_CODES)[number];
export type VisitFlag = MediaItem & { code: VisitFlagCode };

export interface RoomVisit {
  id: string;
  /** List position: unique, rising with each visit recorded. */
  n: number;
  personId: string;
  vendorId: string;
  room: string;
  purpose: string;
  /** The school staff member who escorted the vendor person. */
  escortedBy: string;
  requestId: string | null;
  media: MediaItem[];
  enteredAt: string;
  recordedBy: string;
  exitedAt?: string;
  exitRecordedBy?: string;
  mediaOut?: MediaItem[];
  /** Empty while the visit is open; set at exit. */
  flags: VisitFlag[];
}

/** A period of the register signed off by an approver. */
export interface RoomReview {
  id: string;
  n: number;
  from: string;
  to: string;
  note: string;
  signedBy: string;
  signedAt: string;
  /** What the period held when it was signed. */
  visits: number;
  openVisits: number;
  flaggedVisits: number;
}

const fold = (s: string) => s.normalize('NFKC').trim().toLowerCase();

/**
 * What does not match between the media brought in and those taken out. An
 * item with a serial matches an item out with the same serial; one without
 * matches an item out of the same kind and description (case and width
 * ignored). Each item out answers for one item in, so two identical USB
 * sticks in and one out flag one.
 */
export function mediaFlags(mediaIn: MediaItem[], mediaOut: MediaItem[]): VisitFlag[] {
  const unused = mediaOut.map((m) => ({ m, used: false }));
  const take = (match: (m: MediaItem) => boolean): boolean => {
    const hit = unused.find((u) => !u.used && match(u.m));
    if (hit) hit.used = true;
    return Boolean(hit);
  };
  const matched = new Set<number>();
  // Serials first, so that an item out with a serial is not spent on a look-alike without one.
  mediaIn.forEach((m, i) => {
    if (m.serial && take((o) => o.serial !== undefined && fold(o.serial) === fold(m.serial!))) matched.add(i);
  });
  mediaIn.forEach((m, i) => {
    if (!m.serial && take((o) => o.kind === m.kind && fold(o.description) === fold(m.description))) matched.add(i);
  });
  return [
    ...mediaIn.flatMap((m, i): VisitFlag[] => (matched.has(i) ? [] : [{ code: 'not_taken_out', ...m }])),
    ...unused.flatMap(({ m, used }): VisitFlag[] => (used ? [] : [{ code: 'not_brought_in', ...m }])),
  ];
}

/** Milliseconds of a day. */
export const DAY_MS = 86_400_000;

/**
 * The time index score of a visit: its entry time in milliseconds, times a
 * thousand, plus the last three digits of its list position, so that two
 * visits entered in the same millisecond still have scores of their own and
 * a cursor (a score) names exactly one place in the list. Scores stay below
 * 2^53 until the year 2255.
 */
export function visitScore(enteredAtMs: number, n: number): number {
  return enteredAtMs * 1000 + (n % 1000);
}

/** The lowest score of a visit entered at `ms` or later. */
export function scoreAtOrAfter(ms: number): number {
  return ms * 1000;
}

/** The highest score of a visit entered at `ms` or earlier. */
export function scoreAtOrBefore(ms: number): number {
  return ms * 1000 + 999;
}
