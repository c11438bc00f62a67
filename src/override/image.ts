// imageOverrider (Karmada pkg/util/overridemanager/imageoverride.go, docs/reference/semantics.md §5.2).
import type { FieldPath, ImageOverrider } from '../model/types.js';
import {
  formatImageReference,
  parseImageReference,
  tagOrDigest,
  withTagOrDigest,
  withoutTagOrDigest,
  type ImageReference,
} from './image-reference.js';
import { OverrideCode, describe, resolvePointer, unsafePointerSegment, type PatchOp, type PatchPlan } from './json-patch.js';
import { podSpecPointer } from './workload.js';
import { isMap } from '../objects/json.js';

/** The image after one overrider, or why it cannot be computed (Karmada's overrideImage). */
export function overrideImage(image: string, overrider: ImageOverrider): { ok: true; image: string } | { ok: false; reason: string } {
  const parsed = parseImageReference(image);
  if (!parsed.ok) return { ok: false, reason: `cannot parse image "${image}": ${parsed.reason}` };
  let ref: ImageReference = parsed.ref;
  const value = overrider.value ?? '';
  switch (overrider.component) {
    case 'Registry':
      if (overrider.operator === 'add') ref = { ...ref, host: ref.host + value };
      else if (overrider.operator === 'replace') ref = { ...ref, host: value };
      else if (overrider.operator === 'remove') ref = { ...ref, host: '' };
      break;
    case 'Repository':
      if (overrider.operator === 'add') ref = { ...ref, repository: ref.repository + value };
      else if (overrider.operator === 'replace') ref = { ...ref, repository: value };
      else if (overrider.operator === 'remove') ref = { ...ref, repository: '' };
      break;
    case 'Tag':
      if (overrider.operator === 'add') ref = withTagOrDigest(ref, tagOrDigest(ref) + value);
      else if (overrider.operator === 'replace') ref = withTagOrDigest(ref, value);
      else if (overrider.operator === 'remove') ref = withoutTagOrDigest(ref);
      break;
    default:
      return { ok: false, reason: `unsupported image component "${String(overrider.component)}"` };
  }
  // An unknown operator leaves the components alone, but the image is still re-serialised (Karmada).
  return { ok: true, image: formatImageReference(ref) };
}

/**
 * The patch one image overrider makes to `object`. Without a predicate: every container (not init
 * containers) of a Pod or pod-template workload; other kinds are left alone. With a predicate: only
 * the string at `predicate.path`, which must exist.
 */
export function imagePatches(object: Record<string, unknown>, kind: string, overrider: ImageOverrider, at: FieldPath): PatchPlan {
  const fail = (message: string, code: OverrideCode = OverrideCode.Failed): PatchPlan => ({
    ops: [],
    issues: [{ severity: 'error', code, path: at, message: `imageOverrider: ${message}` }],
  });
  const targets: Array<{ pointer: string; image: unknown }> = [];
  if (overrider.predicate) {
    const pointer = overrider.predicate.path;
    const unsafe = unsafePointerSegment(pointer);
    if (unsafe !== null) return fail(`predicate path "${pointer}" goes through "${unsafe}"; refused`, OverrideCode.UnsafePath);
    const found = resolvePointer(object, pointer);
    if (!found.found) return fail(`predicate path "${pointer}" does not resolve: ${found.reason}`);
    if (typeof found.value !== 'string') return fail(`predicate path "${pointer}" is ${describe(found.value)}, not an image string`);
    targets.push({ pointer, image: found.value });
  } else {
    const prefix = podSpecPointer(kind);
    if (prefix === null) return { ops: [], issues: [] };
    const containers = resolvePointer(object, `${prefix}/containers`);
    if (!containers.found || containers.value === null) return { ops: [], issues: [] };
    if (!Array.isArray(containers.value)) return fail(`${prefix}/containers is ${describe(containers.value)}, not a list`);
    containers.value.forEach((c, i) => {
      const image = isMap(c) ? c.image : undefined;
      // Karmada reads containers through the typed PodSpec, so a missing image is "" (which then
      // fails to parse) and a non-string image fails the conversion.
      targets.push({ pointer: `${prefix}/containers/${i}/image`, image: image === undefined ? '' : image });
    });
  }
  const ops: PatchOp[] = [];
  for (const t of targets) {
    if (typeof t.image !== 'string') return fail(`${t.pointer} is ${describe(t.image)}, not an image string`);
    const result = overrideImage(t.image, overrider);
    if (!result.ok) return fail(`${t.pointer}: ${result.reason}`);
    // Karmada always emits the replace, even when the image does not change; so do we, since a
    // replace of an existing path is harmless.
    ops.push({ op: 'replace', path: t.pointer, value: result.image });
  }
  return { ops, issues: [] };
}
