// Reading parsed JSON and YAML (Kubernetes objects, config documents) whose shape is not known yet.

/** A JSON object: not null, not an array. */
export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
