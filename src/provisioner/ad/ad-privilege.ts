import { ExtensibleFilter, type Entry } from 'ldapts';
import type { PrivilegedMembership } from '../../domain/ports/directory.port.js';
import { normalizeDn } from '../ldap/escape.js';
import type { LdapConnection } from '../ldap/ldap-connection.js';
import { attrValue, attrValues } from '../ldap/ldap-entry.js';
import { ldapResultCode } from '../ldap/ldap-errors.js';
import { and, eq } from '../ldap/ldap-filters.js';
import { namingValues, PrivilegedGroupPolicy, privilegeResolver, type GroupFacts } from '../privileged-groups.js';
import { adOp } from './ad-errors.js';
import { decodeSid, encodeSid, splitRid } from './ad-sid.js';

/** Builtin (S-1-5-32-…) privileged groups: Administrators, Account/Server/Print/Backup Operators, Replicator. */
const BUILTIN_PRIVILEGED_SIDS = new Set(['544', '548', '549', '550', '551', '552'].map((rid) => `S-1-5-32-${rid}`));
/**
 * Domain RIDs: Domain Admins 512, Domain Controllers 516, Group Policy Creator
 * Owners 520, Read-only DCs 521, Key Admins 526 — in this domain.
 */
const DOMAIN_PRIVILEGED_RIDS = new Set([512, 516, 520, 521, 526]);
/**
 * Forest RIDs: Schema Admins 518, Enterprise Admins 519, Enterprise Key Admins
 * 527 exist only in the forest root domain, which may not be this one; no
 * other domain allocates these RIDs, so any domain's SID with them counts.
 */
const FOREST_PRIVILEGED_RIDS = new Set([518, 519, 527]);
/** DnsAdmins has no fixed RID: it is recognised by name (sAMAccountName, cn, name or the RDN). */
const PRIVILEGED_SAM_NAMES = new Set(['dnsadmins']);

/** LDAP_MATCHING_RULE_IN_CHAIN: member/memberOf followed transitively by the server. */
const IN_CHAIN = '1.2.840.113556.1.4.1941';
const GROUP_ATTRIBUTES = ['cn', 'name', 'sAMAccountName', 'objectSid', 'memberOf'];

/** Whether a SID is one of AD's built-in privileged groups, given the SID of the domain being served. */
export function isBuiltinPrivilegedSid(sid: string, domainSid: string): boolean {
  if (BUILTIN_PRIVILEGED_SIDS.has(sid)) return true;
  const split = splitRid(sid);
  if (!split) return false;
  if (split.domain === domainSid && DOMAIN_PRIVILEGED_RIDS.has(split.rid)) return true;
  return /^S-1-5-21-\d+-\d+-\d+$/.test(split.domain) && FOREST_PRIVILEGED_RIDS.has(split.rid);
}

/** A group as privilege resolution sees it. */
interface AdGroup extends GroupFacts {
  sid?: string;
  /** The groups that list this one directly. */
  memberOf: string[];
}

function toGroup(entry: Entry): AdGroup {
  const rawSid = entry.objectSid;
  const sid = Buffer.isBuffer(rawSid) ? decodeSid(rawSid) : undefined;
  const samAccountName = attrValue(entry, 'sAMAccountName');
  return {
    dn: entry.dn,
    name: attrValue(entry, 'cn') ?? samAccountName ?? entry.dn,
    // Clients know an AD group by any of these (and the RDN): name-based rules test them all.
    names: [...attrValues(entry, 'cn'), ...attrValues(entry, 'name'), ...(samAccountName ? [samAccountName] : [])],
    ...(sid ? { sid } : {}),
    memberOf: attrValues(entry, 'memberOf'),
  };
}

/** Keys groups by DN, whatever the spelling. */
const key = normalizeDn;

/**
 * Clause 1.6.1 for Active Directory. A group is privileged when its SID is
 * one of the built-in privileged set, it is DnsAdmins, or policy names it
 * (DN, name or /regex/); and any group nested inside one at any depth is
 * privileged too. Built-ins are recognised by SID, never by name, because
 * names are localised. The server walks the nesting
 * (`member:1.2.840.113556.1.4.1941:`, cycle-safe) in one search; the nearest
 * privileged ancestor is then found locally, breadth-first with a visited set.
 */
export class AdPrivilege {
  private readonly policy: PrivilegedGroupPolicy;

  constructor(
    private readonly conn: LdapConnection,
    private readonly baseDn: string,
    private readonly domainSid: () => Promise<string>,
    policyEntries: readonly string[],
  ) {
    this.policy = new PrivilegedGroupPolicy(policyEntries);
  }

  /** Whether one group is privileged in itself (not through nesting). */
  isPrivileged(group: AdGroup, domainSid: string): boolean {
    if (group.sid && isBuiltinPrivilegedSid(group.sid, domainSid)) return true;
    if (namingValues(group).some((name) => PRIVILEGED_SAM_NAMES.has(name.toLowerCase()))) return true;
    return this.policy.matches(group);
  }

  /** See DirectoryPort.privilegedGroupsOf. Groups that do not exist are left out. */
  async privilegedGroupsOf(groupDns: string[]): Promise<Map<string, string>> {
    const domainSid = await this.domainSid();
    const result = new Map<string, string>();
    await Promise.all(
      groupDns.map(async (dn) => {
        const start = await this.readGroup(dn);
        if (!start) return;
        const graph = await this.ancestors(start.dn);
        graph.set(key(start.dn), start);
        const hit = await this.nearest(start, graph, domainSid);
        if (hit) result.set(dn, hit.dn);
      }),
    );
    return result;
  }

  /**
   * See DirectoryPort.privilegedMembershipsOf. The direct groups are the
   * account's memberOf plus its primary group when that is not Domain Users:
   * primaryGroupID is invisible to member/memberOf, so a vendor made a Domain
   * Admin that way would otherwise go unseen.
   */
  async privilegedMembershipsOf(accountDn: string, account: { memberOf: string[]; primaryGroupId?: number }): Promise<PrivilegedMembership[]> {
    const domainSid = await this.domainSid();
    const graph = await this.ancestors(accountDn);
    const direct = account.memberOf.map((dn) => graph.get(key(dn))).filter((g): g is AdGroup => g !== undefined);
    if (account.primaryGroupId !== undefined && account.primaryGroupId !== 513) {
      const primary = await this.groupBySid(`${domainSid}-${account.primaryGroupId}`);
      if (primary) {
        for (const [k, g] of await this.ancestors(primary.dn)) graph.set(k, g);
        graph.set(key(primary.dn), primary);
        direct.push(primary);
      }
    }
    const found: PrivilegedMembership[] = [];
    for (const group of direct) {
      const hit = await this.nearest(group, graph, domainSid);
      if (hit) found.push({ group: group.dn, privileged: hit.dn });
    }
    return found;
  }

  /** The DN of the group with this SID, if it exists. */
  async groupBySid(sid: string): Promise<AdGroup | undefined> {
    const entries = await adOp(`find group ${sid}`, () =>
      this.conn.search(this.baseDn, {
        scope: 'sub',
        filter: and(eq('objectClass', 'group'), eq('objectSid', encodeSid(sid))),
        attributes: GROUP_ATTRIBUTES,
        explicitBufferAttributes: ['objectSid'],
      }),
    );
    return entries[0] ? toGroup(entries[0]) : undefined;
  }

  private async nearest(start: AdGroup, graph: Map<string, AdGroup>, domainSid: string): Promise<GroupFacts | undefined> {
    const resolve = privilegeResolver(
      (g) => this.isPrivileged(graph.get(key(g.dn)) ?? { ...g, memberOf: [] }, domainSid),
      (dn) => Promise.resolve((graph.get(key(dn))?.memberOf ?? []).map((p) => graph.get(key(p))).filter((g): g is AdGroup => g !== undefined)),
    );
    return resolve(start);
  }

  /** Every group that contains `dn` at any depth, with its direct parents, keyed by DN. */
  private async ancestors(dn: string): Promise<Map<string, AdGroup>> {
    const filter = and(eq('objectClass', 'group'), new ExtensibleFilter({ matchType: 'member', rule: IN_CHAIN, value: dn }));
    const graph = new Map<string, AdGroup>();
    for await (const page of this.conn.searchPaged(
      this.baseDn,
      { scope: 'sub', filter, attributes: GROUP_ATTRIBUTES, explicitBufferAttributes: ['objectSid'] },
      500,
      `groups containing ${dn}`,
    ))
      for (const entry of page) graph.set(key(entry.dn), toGroup(entry));
    return graph;
  }

  private async readGroup(dn: string): Promise<AdGroup | undefined> {
    try {
      const [entry] = await this.conn.search(
        dn,
        { scope: 'base', filter: eq('objectClass', 'group'), attributes: GROUP_ATTRIBUTES, explicitBufferAttributes: ['objectSid'] },
        `read group ${dn}`,
      );
      return entry ? toGroup(entry) : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }
}

/** No such object (32) or a DN that does not parse (34): the entry is not there. */
export function isMissing(err: unknown): boolean {
  const code = ldapResultCode(err);
  return code === 32 || code === 34;
}
