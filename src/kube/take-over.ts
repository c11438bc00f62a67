// The take-over rule of the apply stage: what flotilla may do with a desired object given its live
// copy, as Karmada's execution controller decides it (pkg/util/objectwatcher: an object already on
// the member cluster that Karmada does not manage is updated only when the Work says
// conflict-resolution "overwrite"). Pure: the apply stage (apply.ts) reads the live object and
// feeds it in.
//
// flotilla's own objects are those with its field manager's Apply entry in managedFields: it
// created them, or adopted them earlier. Anything else that is already there belongs to someone
// else: under the claiming policy's conflictResolution Abort (Karmada's default) it is not touched
// and its apply fails with a conflict naming it; under Overwrite (or the target's force: true) it is
// adopted — applied with force, marked flotilla.dev/adopted, and later released, never deleted.
import { isMap } from '../objects/json.js';
import { ADOPTED_ANNOTATION, annotationsOf, CONFLICT_RESOLUTION_ANNOTATION, POLICY_ANNOTATION } from '../objects/tracking.js';
import type { KubeObject } from './api.js';
import { managedBy, pruneDisabled } from './live-object.js';

/** Whether flotilla created an object or took over one that was already there. */
export type Origin = 'created' | 'adopted';

export type TakeOver =
  /** Nothing there: flotilla creates it. */
  | { action: 'create' }
  /** flotilla's already (its Apply entry): applied as usual, conflicts forced (drift). */
  | { action: 'update'; origin: Origin }
  /** Someone else's, and the policy (or the target's force) says Overwrite: taken over with force. */
  | { action: 'adopt' }
  /** Someone else's under Abort: not touched; the object's apply fails with this message. */
  | { action: 'refuse'; message: string };

export interface TakeOverInput {
  /** The live object (null: none). */
  live: KubeObject | null;
  /** The desired object as rendered (its flotilla.dev/conflict-resolution and flotilla.dev/policy annotations). */
  desired: KubeObject;
  fieldManager: string;
  /** The inventory's record of the object's origin, when it has one. */
  recorded: Origin | undefined;
  /** The kubernetes target's force: true: every policy counts as Overwrite. */
  force: boolean;
  /** For messages: `Kind namespace/name` and the cluster. */
  describe: string;
  cluster: string;
}

/** Whether the apply engine marked a live object as adopted. */
export function carriesAdoptedMark(live: KubeObject): boolean {
  return annotationsOf(live)[ADOPTED_ANNOTATION] === 'true';
}

/** The field managers of a live object, in order, each once. */
function managersOf(live: KubeObject): string[] {
  const entries = isMap(live.metadata) && Array.isArray(live.metadata.managedFields) ? live.metadata.managedFields : [];
  const names = entries.map((e) => (isMap(e) && typeof e.manager === 'string' ? e.manager : null)).filter((m): m is string => !!m);
  return [...new Set(names)];
}

/** What the apply stage may do with one desired object. The rules apply in this order. */
export function takeOver(input: TakeOverInput): TakeOver {
  const { live } = input;
  if (live === null) return { action: 'create' };
  // Handed off: flotilla.dev/prune "false" and in no inventory. flotilla left it on the cluster,
  // kept as it was, when the repository dropped it (its Apply entry stays), and forgot it; whoever
  // manages it since, it is no longer provably flotilla's. Declaring that name again (from any
  // path) must not overwrite it, nor make a later drop delete it (a red-team review).
  const handedOff = pruneDisabled(live) && input.recorded === undefined;
  if (managedBy(live, input.fieldManager) && !handedOff)
    return { action: 'update', origin: input.recorded === 'adopted' || carriesAdoptedMark(live) ? 'adopted' : 'created' };
  const annotations = annotationsOf(input.desired);
  if (input.force || annotations[CONFLICT_RESOLUTION_ANNOTATION] === 'Overwrite') return { action: 'adopt' };
  const managers = managersOf(live);
  const policy = typeof annotations[POLICY_ANNOTATION] === 'string' ? `policy ${String(annotations[POLICY_ANNOTATION])}` : 'its policy';
  const whose = handedOff
    ? ' and flotilla handed it off (flotilla.dev/prune "false" when the repository dropped it; no inventory records it)'
    : ' and flotilla did not create it';
  return {
    action: 'refuse',
    message:
      `${input.describe} already exists on cluster ${input.cluster}${whose}` +
      `${managers.length > 0 ? ` (field managers: ${managers.join(', ')})` : ''}; ` +
      `conflictResolution Abort (${policy}) does not take it over — set spec.conflictResolution: Overwrite on the policy to adopt it`,
  };
}

/**
 * The object the apply stage sends: the desired object, marked flotilla.dev/adopted: "true" when
 * adopted. A created object never carries the mark (the render drops a manifest's own).
 */
export function withOriginMark(desired: KubeObject, origin: Origin): KubeObject {
  if (origin !== 'adopted') return desired;
  const meta = isMap(desired.metadata) ? desired.metadata : {};
  const annotations = { ...annotationsOf(desired), [ADOPTED_ANNOTATION]: 'true' };
  return { ...desired, metadata: { ...meta, annotations } };
}
