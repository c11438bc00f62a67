// A Kurator Application's `syncPolicies[].rollout` (docs/guide/traffic.md "Rollouts of a Kurator
// Application"): the block is attached to the workload it names in that sync policy's built output
// as the `flotilla.dev/rollout` annotation, so the one reader of rollouts (src/traffic/declarations.ts)
// starts the same canaries for both forms. Every problem is at the Application's file and line.
import { parseAllDocuments, stringify } from 'yaml';
import type { BuildProblem } from '../load/parse.js';
import { isMap } from '../objects/json.js';
import { ROLLOUT_ANNOTATION, ROLLOUT_KINDS } from '../traffic/declarations.js';
import type { Application, ApplicationRollout } from './application.js';

/** The built text with the rollout attached to its workload, or the ROLLOUT_INVALID problem at the Application. */
export function attachRollout(text: string, app: Application, rollout: ApplicationRollout): { text: string } | { problem: BuildProblem } {
  const fail = (line: number, message: string): { problem: BuildProblem } => ({
    problem: {
      code: 'ROLLOUT_INVALID',
      message: `Application ${app.namespace}/${app.name} syncPolicies[${rollout.index}]: ${message}`,
      file: app.file,
      line,
    },
  });
  const first = rollout.problems[0];
  if (first || !rollout.config?.workload) {
    // Every problem in one message (a build problem has one line): the first one's line, the others' lines named.
    const rest = rollout.problems.slice(1).map((p) => `; ${p.message} (line ${p.line})`);
    return fail(first?.line ?? rollout.line, `${first?.message ?? 'rollout has no workload'}${rest.join('')}`);
  }
  const named = rollout.config.workload;
  const what = `${named.apiVersion} ${named.kind} ${named.namespace}/${named.name}`;
  if (!ROLLOUT_KINDS.has(`${named.apiVersion}|${named.kind}`))
    return fail(rollout.line, `rollout.workload names ${what}: a rollout applies to apps/v1 Deployments and StatefulSets only`);
  const docs = parseAllDocuments(text, { version: '1.1', logLevel: 'silent' }) as ReturnType<typeof parseAllDocuments> & unknown[];
  for (const doc of docs) {
    let v: unknown;
    try {
      v = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue;
    }
    if (!isMap(v) || v.apiVersion !== named.apiVersion || v.kind !== named.kind || !isMap(v.metadata)) continue;
    const md = v.metadata;
    if (md.name !== named.name || (typeof md.namespace === 'string' && md.namespace !== '' ? md.namespace : 'default') !== named.namespace)
      continue;
    if (isMap(md.annotations) && md.annotations[ROLLOUT_ANNOTATION] !== undefined)
      return fail(rollout.line, `${what} already carries a ${ROLLOUT_ANNOTATION} annotation: declare its rollout once`);
    // An explicit map: YAML 1.1's setIn would make the missing annotations an !!omap.
    if (!isMap(md.annotations)) doc.setIn(['metadata', 'annotations'], doc.createNode({}));
    doc.setIn(['metadata', 'annotations', ROLLOUT_ANNOTATION], stringify(rollout.raw));
    const [start, end] = doc.range ?? [0, text.length];
    return { text: text.slice(0, start) + doc.toString() + text.slice(end) };
  }
  return fail(rollout.line, `rollout.workload names ${what}, which this sync policy does not produce`);
}
