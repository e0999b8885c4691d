import type { z } from 'zod';
import type { ErrorDetail } from '../errors.js';

/** Most details an error body lists; the rest are counted (`detailsOmitted`). */
const MAX_ERROR_DETAILS = 20;

const NUL = /\0/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(s: string): string | undefined {
  if (NUL.test(s)) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must not contain unpaired UTF-16 surrogates';
  return undefined;
}

/**
 * Every string in `value` (members, array items and member names, at any
 * depth) that carries a NUL or an unpaired surrogate. Such text cannot be
 * stored in the directory, breaks C consumers of the audit trail and the
 * exports, and no legitimate client sends it — so it is refused for every
 * route before its own schema runs, rather than by each schema.
 */
export function badTextDetails(value: unknown, root: string, limit = MAX_ERROR_DETAILS + 1): ErrorDetail[] {
  const found: ErrorDetail[] = [];
  const visit = (v: unknown, path: string, depth: number): void => {
    if (found.length >= limit || depth > 64) return;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) found.push({ field: path, rule: 'text', message: problem });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, `${path}.${i}`, depth + 1));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        const keyProblem = textProblem(key);
        // The name itself is unprintable: say where it is, without echoing it.
        if (keyProblem) found.push({ field: path, rule: 'text', message: `a member name ${keyProblem}` });
        else visit(item, `${path}.${key}`, depth + 1);
      }
    }
  };
  visit(value, root, 0);
  return found;
}

/**
 * zod's issues as error details, one per field. An unknown member or query
 * parameter gets a detail of its own that names it (zod reports them all
 * in one issue at the object's path).
 */
export function zodDetails(error: z.ZodError, root: string): ErrorDetail[] {
  return error.issues.flatMap((issue): ErrorDetail[] => {
    const field = [root, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({
        field: `${field}.${key}`,
        rule: 'unknown_member',
        message: root === 'query' ? `unknown query parameter "${key}"` : `unknown member "${key}"`,
      }));
    return [{ field, rule: issue.code, message: issue.message }];
  });
}

/** At most MAX_ERROR_DETAILS details, and how many were left out. */
export function capDetails(details: unknown[]): { details: unknown[]; detailsOmitted?: number } {
  if (details.length <= MAX_ERROR_DETAILS) return { details };
  return { details: details.slice(0, MAX_ERROR_DETAILS), detailsOmitted: details.length - MAX_ERROR_DETAILS };
}
