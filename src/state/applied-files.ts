// The status branch read back: `status.yaml` and, under `manifests/`, every object last applied,
// in the `render --out` layout (docs/reference/contract.md "The status branch"). Pure: it takes
// file texts already read from Git. Every file of manifests/ goes through one parser
// (readManifestFile); its two readers then take what they need from it:
//
// - the reconciler's restore (appliedObjectOf, called by branch.ts readAppliedState) wants one
//   entry per file, since an applied-state entry is a file (its path and blob oid): a file that is
//   not exactly one object is left out, and the next reconcile rewrites it. The entry's cluster is
//   the one the object's tracking annotation names, because folder names are %-encoded;
// - `flotilla diff` (liveStateFromFiles) shows every object it can read, by cluster folder, which
//   it compares with the folders of the desired layout; what it cannot read it reports.
import { parse, parseAllDocuments } from 'yaml';
import type { ObjectRef } from '../model/types.js';
import { clusterObjectId, refOfObject } from '../objects/identity.js';
import { isMap } from '../objects/json.js';
import { readStableYaml } from '../objects/stable-yaml-read.js';
import { CLUSTER_ANNOTATION } from '../objects/tracking.js';
import { manifestPath } from '../objects/layout.js';
import type { AppliedObject } from './change-set.js';
import { MANIFESTS_DIR, STATUS_FILE } from './document.js';

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

/** A file of manifests/ parsed: its documents up to the first YAML error, and that error's first line. */
interface ManifestFileRead {
  documents: unknown[];
  error: string | null;
}

function firstLine(e: unknown): string {
  return (e as Error).message.split('\n')[0]!;
}

/**
 * Parses one file of manifests/ as YAML 1.1, as toStableYaml writes it: by readStableYaml when the
 * text is exactly what toStableYaml writes (every file flotilla wrote), else by the library.
 */
function readManifestFile(text: string): ManifestFileRead {
  const stable = readStableYaml(text);
  if (stable !== undefined) return { documents: [stable], error: null };
  const documents: unknown[] = [];
  try {
    const parsed = parseAllDocuments(text, { version: '1.1' });
    for (const d of Array.isArray(parsed) ? parsed : [parsed]) {
      if (d.errors.length > 0) throw d.errors[0];
      documents.push(d.toJS({ maxAliasCount: 100 }) as unknown);
    }
  } catch (e) {
    return { documents, error: firstLine(e) };
  }
  return { documents, error: null };
}

/** A document flotilla can have written: a mapping with a string `kind`. */
function isKubernetesObject(v: unknown): v is Record<string, unknown> {
  return isMap(v) && typeof v.kind === 'string';
}

/** Whether a file of manifests/ is at its group-qualified path (a kind-name clash), not the plain one. */
export function isQualifiedPath(path: string, cluster: string, ref: ObjectRef): boolean {
  return path !== manifestPath(cluster, ref);
}

/**
 * The applied-state entry of one file of manifests/ (`path` relative to it, `oid` its blob), or
 * the warning that says why it is not one.
 */
export function appliedObjectOf(path: string, oid: string, text: string): AppliedObject | { problem: string } {
  const at = `${MANIFESTS_DIR}/${path}`;
  const read = readManifestFile(text);
  if (read.error !== null) return { problem: `${at}: not YAML (${read.error}); it will be rewritten` };
  if (read.documents.length > 1) return { problem: `${at}: ${read.documents.length} documents, not one object; it will be rewritten` };
  const object = read.documents[0];
  if (!isKubernetesObject(object)) return { problem: `${at}: not a Kubernetes object; it will be rewritten` };
  const annotations = (isMap(object.metadata) && isMap(object.metadata.annotations) ? object.metadata.annotations : {}) as Record<
    string,
    unknown
  >;
  // A value that is not text (a hand edit YAML reads as a number or a date) names no cluster: the folder does.
  const named = annotations[CLUSTER_ANNOTATION];
  const cluster = typeof named === 'string' ? named : path.split('/')[0]!;
  const ref = refOfObject(object);
  const id = clusterObjectId(cluster, ref);
  return { id, cluster, ref, path, qualified: isQualifiedPath(path, cluster, ref), oid, object };
}

/** The revision manifests/ holds the objects of: lastGoodRevision, else sourceRevision (an Invalid revision is never applied). */
function recordedRevision(text: string): string | null {
  const doc = parse(text, { version: '1.1' }) as unknown;
  if (!isMap(doc)) return null;
  const revision = typeof doc.lastGoodRevision === 'string' ? doc.lastGoodRevision : doc.sourceRevision;
  return typeof revision === 'string' ? revision : null;
}

/** Reads the status branch's files into objects per cluster folder, for `flotilla diff`. */
export function liveStateFromFiles(files: readonly LiveFile[]): LiveState {
  let sourceRevision: string | null = null;
  const objects: LiveObject[] = [];
  const problems: string[] = [];
  const prefix = `${MANIFESTS_DIR}/`;
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (f.path === STATUS_FILE) {
      try {
        sourceRevision = recordedRevision(f.text) ?? sourceRevision;
      } catch (e) {
        problems.push(`${STATUS_FILE}: ${firstLine(e)}`);
      }
      continue;
    }
    if (!f.path.startsWith(prefix)) continue;
    const rel = f.path.slice(prefix.length);
    const segments = rel.split('/');
    if (segments.length < 2) {
      problems.push(`${f.path}: not in a cluster folder`);
      continue;
    }
    if (f.tooLarge) {
      problems.push(`${f.path}: too large to read`);
      continue;
    }
    const read = readManifestFile(f.text);
    for (const value of read.documents) {
      if (value === null || value === undefined) continue;
      if (!isKubernetesObject(value)) problems.push(`${f.path}: not a Kubernetes object`);
      else objects.push({ clusterSegment: segments[0]!, path: rel, object: value });
    }
    if (read.error !== null) problems.push(`${f.path}: ${read.error}`);
  }
  return { sourceRevision, objects, problems };
}
