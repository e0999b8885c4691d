import { z } from 'zod';
import { REQUEST_STATUSES } from '../domain/types.js';

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(2201, 0, 1);
/** Real UTC offsets run from -12:00 to +14:00; anything beyond is a typo or an attack on date arithmetic. */
const MAX_OFFSET_MINUTES = 14 * 60;

function offsetMinutes(s: string): number {
  const m = /([+-])(\d{2}):?(\d{2})?$/.exec(s);
  return m ? Number(m[2]) * 60 + Number(m[3] ?? 0) : 0;
}

/**
 * ISO 8601 date-time with an offset (API.md conventions); parsed to a Date.
 * The offset must lie within ±14:00 and the instant within the years
 * 1970–2200: nothing the service schedules or records lies outside, and
 * the directory's own time formats (AD's FILETIME, shadowExpire days) do
 * not all cope with what does.
 */
export const isoDateTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with offset, e.g. 2026-11-25T09:00:00+08:00' })
  .refine((s) => offsetMinutes(s) <= MAX_OFFSET_MINUTES, { message: 'the UTC offset must lie within ±14:00', abort: true })
  .transform((s, ctx) => {
    const at = new Date(s);
    if (at.getTime() >= EARLIEST && at.getTime() < LATEST) return at;
    ctx.addIssue({ code: 'custom', message: 'must lie in the years 1970 to 2200 (UTC)' });
    return z.NEVER;
  });

const text = (max: number) => z.string().trim().min(1).max(max);
/** A group DN: attr=value pairs; the directory checks existence. */
const groupDn = z
  .string()
  .trim()
  .min(3)
  .max(1024)
  .regex(/^[A-Za-z][A-Za-z0-9-]*=.+/, 'must be a distinguished name (cn=…,ou=…)');

export const vendorCreateSchema = z.strictObject({
  name: text(200),
  contractRef: text(100),
  contractEndsAt: isoDateTime,
});

/** As on a passport: Latin letters (accents allowed), spaces, hyphens, apostrophes; at least one letter. */
const latinName = text(100).regex(/^(?=.*\p{Script=Latin})[\p{Script=Latin}\p{M}'\u2019 -]+$/u, 'Latin letters, spaces, hyphens and apostrophes only');

export const personCreateSchema = z.strictObject({
  fullName: text(200),
  latinName: latinName.optional(),
  email: z.email().max(254),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{5,32}$/, 'digits, spaces, + ( ) - only')
    .optional(),
  ndaSignedAt: isoDateTime,
  ndaRef: text(100),
});

/** null clears the Latin name. */
export const personUpdateSchema = z.strictObject({ latinName: latinName.nullable() });

export const departureSchema = z.strictObject({ reason: text(500), effectiveAt: isoDateTime.optional() });
export const terminateSchema = z.strictObject({ reason: text(500) });

export const requestCreateSchema = z.strictObject({
  personId: z.string().min(1).max(64),
  workDescription: text(2000),
  targetSystems: z.array(text(200)).min(1).max(50),
  groups: z.array(groupDn).min(1).max(50),
  validFrom: isoDateTime,
  validTo: isoDateTime,
  /** Clause 1.9: the request breaks relaxable rules and is filed as an exception resting on a signed memo. */
  exception: z
    .strictObject({
      justification: text(2000).describe('why the rule must be relaxed for this work'),
      memoRef: text(200).describe('reference of the signed memo the exception rests on'),
    })
    .optional(),
});

export const approveSchema = z.strictObject({ comment: z.string().max(1000).optional() });
export const rejectSchema = z.strictObject({ reason: text(1000) });
export const revokeSchema = z.strictObject({ reason: text(1000) });
export const emptySchema = z.strictObject({});

const limit = z.coerce.number().int().min(1).max(500).default(50);
/** A list that can be narrowed by name: `q` is matched as a substring, ignoring case and width (domain-store.port.ts nameMatches). */
export const searchQuerySchema = z.strictObject({
  q: z.string().max(200).optional().describe('part of the name, any case, any script'),
  cursor: z.string().max(200).optional(),
  limit,
});
export const requestListQuerySchema = z.strictObject({
  status: z.enum(REQUEST_STATUSES).optional(),
  vendorId: z.string().max(64).optional(),
  personId: z.string().max(64).optional(),
  cursor: z.string().max(200).optional(),
  limit,
});

export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** At most 20; `detailsOmitted` counts the rest. */
    details: z.array(z.record(z.string(), z.unknown())),
    detailsOmitted: z.number().int().optional(),
  }),
  requestId: z.string(),
});
