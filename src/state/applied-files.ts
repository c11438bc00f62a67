// The observed state recorded on the status branch: `status.yaml` and, under `manifests/`, every
// object last applied, in the `render --out` layout (docs/reference/contract.md "The status branch"). Pure: it
// takes the branch's files, already read from Git.
import { parse, parseAllDocuments } from 'yaml';
import { isMap } from '../objects/json.js';

/** Where the status branch keeps the last applied objects. */
export const MANIFESTS_DIR = 'manifests/';

/** One object recorded on the status branch. */
export interface LiveObject {
  /** The cluster folder (a safe path segment of the cluster name). */
  clusterSegment: string;
  /** Path in the render layout, relative to `manifests/`: `<cluster>/<ns or _cluster>/<kind>-<name>.yaml`. */
  path: string;
  object: Record<string, unknown>;
}

/** What the status branch says: the source revision it records and the objects. */
export interface LiveState {
  /** The revision whose objects manifests/ records: status.yaml's lastGoodRevision, else its sourceRevision. */
  sourceRevision: string | null;
  objects: LiveObject[];
  /** Files that could not be read as objects (reported, never silently dropped). */
  problems: string[];
}

/** A file of the status branch as readRevisionFiles returns it. */
export interface LiveFile {
  path: string;
  text: string;
  tooLarge?: boolean;
}

/** Reads the status branch's files into objects per cluster folder; YAML 1.1 as the files are written. */
export function liveStateFromFiles(files: readonly LiveFile[]): LiveState {
  let sourceRevision: string | null = null;
  const objects: LiveObject[] = [];
  const problems: string[] = [];
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (f.path === 'status.yaml') {
      try {
        const doc = parse(f.text, { version: '1.1' }) as unknown;
        // manifests/ hold the last good revision's objects (an Invalid revision is never applied).
        if (isMap(doc)) {
          const revision = typeof doc.lastGoodRevision === 'string' ? doc.lastGoodRevision : doc.sourceRevision;
          if (typeof revision === 'string') sourceRevision = revision;
        }
      } catch (e) {
        problems.push(`status.yaml: ${(e as Error).message.split('\n')[0]}`);
      }
      continue;
    }
    if (!f.path.startsWith(MANIFESTS_DIR)) continue;
    const rel = f.path.slice(MANIFESTS_DIR.length);
    const segments = rel.split('/');
    if (segments.length < 2) {
      problems.push(`${f.path}: not in a cluster folder`);
      continue;
    }
    if (f.tooLarge) {
      problems.push(`${f.path}: too large to read`);
      continue;
    }
    try {
      const docs = parseAllDocuments(f.text, { version: '1.1' });
      const list = Array.isArray(docs) ? docs : [docs];
      for (const d of list) {
        if (d.errors.length > 0) throw d.errors[0];
        const value = d.toJS({ maxAliasCount: 100 }) as unknown;
        if (value === null || value === undefined) continue;
        if (!isMap(value) || typeof value.kind !== 'string') {
          problems.push(`${f.path}: not a Kubernetes object`);
          continue;
        }
        objects.push({ clusterSegment: segments[0]!, path: rel, object: value });
      }
    } catch (e) {
      problems.push(`${f.path}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { sourceRevision, objects, problems };
}
