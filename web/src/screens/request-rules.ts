import type { GroupChoice, Person, Vendor } from '../api/views';
import type { MessageKey } from '../i18n/zh-TW';

export type RuleState = 'ok' | 'broken' | 'unknown';
export interface RuleCheck {
  key: MessageKey;
  params?: Record<string, string | number>;
  state: RuleState;
  /** The form field the rule is about, so its message can sit beside it. */
  field?: string;
  /** Broken, but an exception (clause 1.9, policy.exceptions) may relax it. */
  relaxable?: boolean;
}

/** policy.exceptions as the console config shows it. */
export interface ExceptionPolicy {
  relaxable: string[];
  maxValidityDays: number;
}

const DAY_MS = 86_400_000;

/**
 * The request policy (src/domain/request-policy.ts) as far as the browser can
 * know it, checked as the form is filled in. The API checks again on submit;
 * what only the directory knows (a group becoming privileged) comes back as
 * a field error.
 */
export function checkRules(input: {
  person?: Person;
  vendor?: Vendor;
  from: number;
  to: number;
  now: number;
  groups: GroupChoice[];
  systems: string[];
  maxValidityDays?: number;
  requireNda?: boolean;
  exceptions?: ExceptionPolicy;
  date: (iso: string) => string;
}): RuleCheck[] {
  const relaxes = (rule: string) => !!input.exceptions?.relaxable.includes(rule);
  const { person, vendor, from, to, now } = input;
  const known = (v: boolean | undefined): RuleState => (v === undefined ? 'unknown' : v ? 'ok' : 'broken');
  const dates = Number.isFinite(from) && Number.isFinite(to);
  const rules: RuleCheck[] = [];
  if (input.requireNda !== false) rules.push({ key: 'form.rule.nda', state: known(person && !!person.ndaSignedAt && !!person.ndaRef), field: 'personId' });
  rules.push({ key: 'form.rule.personActive', state: known(person && person.status === 'active'), field: 'personId' });
  rules.push({ key: 'form.rule.vendorActive', state: known(vendor && vendor.status === 'active'), field: 'personId' });
  rules.push({ key: 'form.rule.systems', state: input.systems.length > 0 ? 'ok' : 'unknown', field: 'targetSystems' });
  const groupsOk = input.groups.every((g) => g.grantable && !g.privileged);
  rules.push({
    key: 'form.rule.groups',
    state: input.groups.length === 0 ? 'unknown' : known(groupsOk),
    field: 'groups',
    // Only groups outside grantableGroups (nothing privileged, nothing else wrong) can be asked for as an exception.
    relaxable: !groupsOk && relaxes('grantable_group') && input.groups.every((g) => exceptionGroup(g) || (g.grantable && !g.privileged)),
  });
  rules.push({ key: 'form.rule.order', state: known(dates ? from < to : undefined), field: 'validTo' });
  rules.push({ key: 'form.rule.future', state: known(dates ? to > now : undefined), field: 'validTo' });
  if (input.maxValidityDays !== undefined) {
    const days = (to - Math.max(from, now)) / DAY_MS;
    rules.push({
      key: 'form.rule.maxDays',
      params: { days: input.maxValidityDays },
      state: known(dates ? days <= input.maxValidityDays : undefined),
      field: 'validTo',
      relaxable: dates && relaxes('max_validity_days') && days > input.maxValidityDays && days <= (input.exceptions?.maxValidityDays ?? 0),
    });
  }
  if (vendor)
    rules.push({
      key: 'form.rule.contract',
      params: { date: input.date(vendor.contractEndsAt) },
      state: known(dates ? to <= Date.parse(vendor.contractEndsAt) : undefined),
      field: 'validTo',
    });
  if (person?.departureScheduledAt)
    rules.push({
      key: 'form.rule.departure',
      params: { date: input.date(person.departureScheduledAt) },
      state: known(dates ? to <= Date.parse(person.departureScheduledAt) : undefined),
      field: 'validTo',
    });
  return rules;
}

/** A group refused only because it is outside grantableGroups: an exception may ask for it. */
export function exceptionGroup(g: GroupChoice): boolean {
  return !g.grantable && !g.privileged && g.reasons.every((r) => r.rule === 'grantable_group');
}

/** Every rule is met, or broken only in ways an exception relaxes; and whether an exception is needed. */
export function readiness(rules: RuleCheck[]): { met: boolean; needsException: boolean } {
  return {
    met: rules.every((r) => r.state === 'ok' || (r.state === 'broken' && r.relaxable)),
    needsException: rules.some((r) => r.state === 'broken' && r.relaxable),
  };
}
