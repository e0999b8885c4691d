import type { ErrorDetail } from '../errors.js';
import type { Policy, RelaxableRule } from '../config/policy.schema.js';
import type { DirectoryPort } from './ports/directory.port.js';
import { normalizeDn } from '../provisioner/ldap/escape.js';
import type { Person, Vendor } from './types.js';

export interface RequestTerms {
  groups: string[];
  validFrom: Date;
  validTo: Date;
}

const DAY_MS = 86_400_000;
const FILE_EXCEPTION = '; an exception (clause 1.9) may be filed for it';

/** Matches a group DN against a policy entry: exact DN, bare name (the RDN value), or /regex/. */
function groupMatches(entry: string, groupDn: string): boolean {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(entry);
  if (regex) return new RegExp(regex[1]!, regex[2]!.includes('i') ? regex[2] : `${regex[2]}i`).test(groupDn);
  if (entry.includes('=')) return normalizeDn(entry) === normalizeDn(groupDn);
  const firstRdn = /^[^=]+=((?:\\.|[^,\\])*)/.exec(groupDn)?.[1]?.replace(/\\(.)/g, '$1') ?? '';
  return firstRdn.toLowerCase() === entry.toLowerCase();
}

/**
 * The rules a request must satisfy, checked when it is filed, approved and
 * again by the provision job (groups change). Returns every broken rule.
 */
export class RequestPolicy {
  private readonly verdicts = new Map<string, { at: number; verdict: Promise<GroupVerdict> }>();

  /**
   * `groupVerdictTtlMs`: how long the directory's answer about a set of groups
   * (which are missing, which lead to a privileged group) is reused. A burst of
   * approvals and provisionings naming the same groups then asks the directory
   * once instead of three searches each (bench: provisioning). A group made
   * privileged within that time may still be granted; reconciliation removes
   * such drift. 0 (the default) asks every time.
   */
  constructor(
    private readonly policy: Policy,
    private readonly directory: Pick<DirectoryPort, 'missingGroups' | 'privilegedGroupsOf'>,
    private readonly options: { groupVerdictTtlMs?: number } = {},
  ) {}

  /** Rules about the people and dates: no directory needed. */
  checkTerms(terms: RequestTerms, person: Person, vendor: Vendor, now: Date): ErrorDetail[] {
    const broken: ErrorDetail[] = [];
    if (this.policy.requireNda && (!person.ndaSignedAt || !person.ndaRef))
      broken.push({ rule: 'nda_on_file', message: 'the person has no signed confidentiality undertaking on file' });
    if (person.status !== 'active') broken.push({ rule: 'person_active', message: `the person is ${person.status}` });
    if (person.erasedAt) broken.push({ rule: 'person_erased', message: `the person's personal data was erased on ${person.erasedAt}` });
    if (person.departureScheduledAt && terms.validTo.getTime() > Date.parse(person.departureScheduledAt))
      broken.push({
        rule: 'before_departure',
        field: 'validTo',
        message: `validTo is after the person's announced departure (${person.departureScheduledAt})`,
      });
    if (vendor.status !== 'active') broken.push({ rule: 'vendor_active', message: `the vendor is ${vendor.status}` });
    if (terms.validFrom.getTime() >= terms.validTo.getTime())
      broken.push({ rule: 'valid_from_before_valid_to', field: 'validTo', message: 'validTo must be after validFrom' });
    if (terms.validTo.getTime() <= now.getTime()) broken.push({ rule: 'valid_to_in_future', field: 'validTo', message: 'validTo is already past' });
    const days = (terms.validTo.getTime() - Math.max(terms.validFrom.getTime(), now.getTime())) / DAY_MS;
    if (days > this.policy.maxValidityDays) {
      const cap = this.policy.exceptions.maxValidityDays;
      const relaxable = this.isRelaxable('max_validity_days') && days <= cap;
      broken.push({
        rule: 'max_validity_days',
        field: 'validTo',
        message:
          `validity of ${days.toFixed(1)} days exceeds maxValidityDays (${this.policy.maxValidityDays})` +
          (relaxable ? FILE_EXCEPTION : this.isRelaxable('max_validity_days') ? ` and the ${cap} days no exception may exceed` : ''),
        ...(this.isRelaxable('max_validity_days') ? { relaxable, exceptionMaxValidityDays: cap } : {}),
      });
    }
    if (terms.validTo.getTime() > Date.parse(vendor.contractEndsAt))
      broken.push({
        rule: 'within_contract',
        field: 'validTo',
        message: `validTo is after the vendor's contract end (${vendor.contractEndsAt})`,
      });
    return broken;
  }

  /**
   * Clause 1.9: of the rules `broken`, which stand even though the request
   * carries an exception. A rule is relaxed only when the policy names it in
   * `exceptions.relaxable` and the check marked it `relaxable: true` (a
   * validity beyond `exceptions.maxValidityDays` is marked false).
   */
  notRelaxed(broken: ErrorDetail[]): ErrorDetail[] {
    return broken.filter((b) => b.relaxable !== true);
  }

  private isRelaxable(rule: RelaxableRule): boolean {
    return this.policy.exceptions.relaxable.includes(rule);
  }

  /** Rules about the groups: they exist, are grantable, and lead to no privileged group. */
  async checkGroups(groups: string[]): Promise<ErrorDetail[]> {
    const broken: ErrorDetail[] = [];
    const grantable = this.policy.grantableGroups;
    if (grantable)
      for (const group of groups)
        if (!grantable.some((entry) => groupMatches(entry, group)))
          broken.push({
            rule: 'grantable_group',
            field: 'groups',
            group,
            ...(this.isRelaxable('grantable_group')
              ? { message: `group ${group} is not in grantableGroups${FILE_EXCEPTION}`, relaxable: true }
              : { message: `group ${group} is not in grantableGroups` }),
          });
    const { missing, privileged } = await this.directoryVerdict(groups);
    for (const group of missing) broken.push({ rule: 'group_exists', field: 'groups', group, message: `group ${group} does not exist in the directory` });
    for (const [group, via] of privileged)
      broken.push({
        rule: 'no_privileged_groups',
        field: 'groups',
        group,
        privilegedGroup: via,
        message:
          normalizeDn(group) === normalizeDn(via)
            ? `group ${group} is privileged (clause 1.6.1)`
            : `group ${group} leads to privileged group ${via} (clause 1.6.1)`,
      });
    return broken;
  }

  /** What the directory says about these groups, shared with identical questions asked within groupVerdictTtlMs. */
  private directoryVerdict(groups: string[]): Promise<GroupVerdict> {
    const ttl = this.options.groupVerdictTtlMs ?? 0;
    const ask = async (): Promise<GroupVerdict> => {
      const missing = await this.directory.missingGroups(groups);
      const present = groups.filter((g) => !missing.includes(g));
      return { missing, privileged: present.length ? await this.directory.privilegedGroupsOf(present) : new Map<string, string>() };
    };
    if (ttl <= 0) return ask();
    const key = JSON.stringify(groups);
    const now = Date.now();
    const known = this.verdicts.get(key);
    if (known && now - known.at < ttl) return known.verdict;
    for (const [k, v] of this.verdicts) if (now - v.at >= ttl) this.verdicts.delete(k);
    const verdict = ask();
    this.verdicts.set(key, { at: now, verdict });
    // A failed lookup is not remembered.
    verdict.catch(() => {
      if (this.verdicts.get(key)?.verdict === verdict) this.verdicts.delete(key);
    });
    return verdict;
  }
}

interface GroupVerdict {
  missing: string[];
  privileged: Map<string, string>;
}
