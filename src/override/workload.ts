// Where the pod spec lives in the kinds Karmada's image and command/args overriders understand
// (imageoverride.go buildPatchesWithEmptyPredicate, commandargsoverride.go buildCommandArgsPatches).
// Karmada matches on kind alone, whatever the apiVersion.

const POD_TEMPLATE_KINDS = new Set(['ReplicaSet', 'Deployment', 'DaemonSet', 'StatefulSet', 'Job']);

/** JSON pointer of the pod spec for `kind`, or null when overriders leave that kind alone. */
export function podSpecPointer(kind: string): string | null {
  if (kind === 'Pod') return '/spec';
  if (POD_TEMPLATE_KINDS.has(kind)) return '/spec/template/spec';
  return null;
}
