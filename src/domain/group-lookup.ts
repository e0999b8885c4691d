import type { DirectoryPort } from './ports/directory.port.js';
import type { RequestPolicy } from './request-policy.js';

/** A group as the request form's picker shows it: whether a request may name it, and if not, why. */
export interface GroupChoice {
  dn: string;
  name: string;
  grantable: boolean;
  privileged: boolean;
  /** The privileged group it is or leads to (nested at any depth). */
  privilegedGroup?: string;
  /** The rules a request naming it would break, with the messages filing would give. */
  reasons: { rule: string; message: string }[];
}

/**
 * Group look-up for the console (issue 11 item 3): the directory's groups
 * matching a text, each judged by the very rules a request is checked
 * against (RequestPolicy.checkGroups: grantableGroups, existence,
 * privilege through privilegedGroupsOf), so the picker never offers a group
 * that filing would refuse, and shows the reason for those it would.
 */
export class GroupLookup {
  constructor(private readonly deps: { directory: Pick<DirectoryPort, 'searchGroups'>; policy: Pick<RequestPolicy, 'checkGroups'> }) {}

  async search(text: string, limit: number): Promise<GroupChoice[]> {
    const groups = await this.deps.directory.searchGroups(text.trim(), limit);
    if (groups.length === 0) return [];
    const broken = await this.deps.policy.checkGroups(groups.map((g) => g.dn));
    return groups.map((g) => {
      const mine = broken.filter((d) => d.group === g.dn);
      const privileged = mine.find((d) => d.rule === 'no_privileged_groups');
      return {
        dn: g.dn,
        name: g.name,
        grantable: mine.length === 0,
        privileged: privileged !== undefined,
        ...(typeof privileged?.privilegedGroup === 'string' ? { privilegedGroup: privileged.privilegedGroup } : {}),
        reasons: mine.map((d) => ({ rule: d.rule ?? 'policy', message: d.message })),
      };
    });
  }
}
