// Claim changes as their own kind of change (docs/reference/semantics.md §2.2): which policy claims a
// resource at head, against base, with the rule behind it — a preemption, a released claim, a
// claim kept although a policy that would win from scratch now selects it.
import { versionedKey } from '../objects/identity.js';
import type { RenderSummary } from '../render/render-fleet.js';
import { policyText, samePolicy } from './placements.js';
import type { ClaimChange } from './types.js';

/**
 * Every resource of head whose claim changes or is held against a policy that would win it from
 * scratch. Head scheduled from scratch (`--fresh`) has no claim records: a changed policy is then
 * listed as claimed afresh.
 */
export function claimChanges(base: RenderSummary, head: RenderSummary): ClaimChange[] {
  const before = new Map(base.placements.map((p) => [versionedKey(p.resource), p]));
  const out: ClaimChange[] = [];
  for (const p of head.placements) {
    const b = before.get(versionedKey(p.resource));
    if (!b) continue; // a new resource: its claim is part of its being added
    const record = p.claim;
    if (record && (record.change === 'preempted' || record.change === 'released')) {
      out.push({ resource: p.resource, change: record.change, before: b.policy, after: p.policy, reason: record.reason });
    } else if (record?.change === 'kept' && record.notPreempting.length > 0) {
      out.push({ resource: p.resource, change: 'kept', before: b.policy, after: p.policy, reason: record.reason });
    } else if (!record && p.policy && b.policy && !samePolicy(b.policy, p.policy)) {
      const reason =
        `claimed by ${policyText(p.policy)} instead of ${policyText(b.policy)} ` + '(scheduled from scratch: claims are not sticky)';
      out.push({ resource: p.resource, change: 'reclaimed', before: b.policy, after: p.policy, reason });
    }
  }
  return out;
}
