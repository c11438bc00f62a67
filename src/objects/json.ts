// Helpers for values parsed from YAML or JSON, whose shape nothing has checked yet.

/** True for a mapping (a JSON object): not null, not an array. */
export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
