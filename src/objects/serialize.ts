// Byte-stable serialisation: the same object always gives the same text (sorted keys, no line
// wrapping, YAML 1.1 quoting so kubectl reads back exactly what we wrote).
import { stringify } from 'yaml';

/** One manifest as stable YAML (sorted keys, no wrapping, quoted where YAML 1.1 would misread). */
export function toStableYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

/** Recursively sorts object keys so JSON output is byte-stable too. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeysDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort()) out[k] = sortKeysDeep((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}
