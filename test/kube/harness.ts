// A fleet of test API servers plus what the reconciler would hand the kubernetes target: the seed
// fleet rendered with renderFleet, diffed against the last applied state (diffDesired), as a
// TargetPlan. Tests drive the target pass by pass and count requests from the servers' logs.
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { diffDesired, stateObjects, type AppliedState } from '../../src/state/change-set.js';
import { safeSegment } from '../../src/objects/layout.js';
import type { SourceFile } from '../../src/load/parse.js';
import { visitFiles, type TargetPlan } from '../../src/targets/target.js';
import {
  KubernetesTarget,
  DEFAULT_KUBERNETES_SETTINGS,
  type KubernetesTargetSettings,
  type KubernetesTargetDeps,
} from '../../src/targets/kubernetes.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fleetKubeconfig, startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import type { TestApiServer } from './server/index.js';

/** The five connected clusters of the seed fleet (zone-a and zone-b have no credentials). */
export const SEED_CLUSTERS = ['cluster-frankfurt', 'cluster-hangzhou', 'cluster-shanghai', 'ondemand-cluster', 'spot-cluster'];

/** Istio's VirtualService CRD, as a cluster with Istio installed has it. */
export const VIRTUAL_SERVICE_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'virtualservices.networking.istio.io' },
  spec: {
    group: 'networking.istio.io',
    scope: 'Namespaced',
    names: {
      plural: 'virtualservices',
      singular: 'virtualservice',
      kind: 'VirtualService',
      listKind: 'VirtualServiceList',
      shortNames: ['vs'],
    },
    versions: [
      {
        name: 'v1beta1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
      {
        name: 'v1',
        served: true,
        storage: false,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

/**
 * Kyverno's ClusterPolicy CRD, cluster-scoped, as a cluster that runs Kyverno has it: a kind the
 * fleet repository does not declare (the scope tests place one and expect it judged as cluster-scoped).
 */
export const CLUSTER_POLICY_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'clusterpolicies.kyverno.io' },
  spec: {
    group: 'kyverno.io',
    scope: 'Cluster',
    names: { plural: 'clusterpolicies', singular: 'clusterpolicy', kind: 'ClusterPolicy', listKind: 'ClusterPolicyList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
  },
};

/** Starts one server per cluster with Istio's CRD installed and workloads that become ready when written. */
export async function startSeedFleet(names = SEED_CLUSTERS): Promise<TestFleet> {
  const fleet = await startFleetApiServers(names, { autoReady: true });
  for (const s of fleet.servers.values()) s.putObject(VIRTUAL_SERVICE_CRD);
  return fleet;
}

/** The reconciler's side, reduced to what a target sees: applied state and plans. */
export class PlanMaker {
  applied: AppliedState = new Map();
  private readonly texts = new Map<string, string>();
  private segments = new Map<string, string>();

  /** Renders `files` and returns the plan from the last applied state to it (which becomes applied). */
  next(files: readonly SourceFile[], opts: { revision?: string; full?: boolean } = {}): { plan: TargetPlan; render: RenderResult } {
    return this.fromRender(renderFleet({ files, revision: opts.revision ?? 'worktree' }), opts);
  }

  /** The plan from the last applied state to an already computed render (which becomes applied). */
  fromRender(render: RenderResult, opts: { full?: boolean } = {}): { plan: TargetPlan; render: RenderResult } {
    const diff = diffDesired({ previous: this.applied, manifests: render.manifests });
    for (const c of diff.changes) if (c.text !== undefined && c.oid) this.texts.set(c.oid, c.text);
    for (const o of stateObjects(diff.next)) this.segments.set(safeSegment(o.cluster), o.cluster);
    for (const o of stateObjects(this.applied)) this.segments.set(safeSegment(o.cluster), o.cluster);
    const files_ = new Map([...stateObjects(diff.next)].map((o) => [o.path, o.oid]));
    const texts = this.texts;
    const segments = this.segments;
    const plan: TargetPlan = {
      revision: render.revision,
      changes: diff.changes,
      files: () => files_,
      forEachFile: visitFiles(files_),
      total: files_.size,
      manifestsTree: null,
      previousManifestsTree: null,
      readText: async (oid) => {
        const t = texts.get(oid);
        if (t === undefined) throw new Error(`no text for ${oid}`);
        return t;
      },
      full: opts.full ?? false,
      clusterOf: (p) => segments.get(p.split('/')[0]!) ?? p.split('/')[0]!,
    };
    this.applied = diff.next;
    return { plan, render };
  }
}

/** Settings for a target over a test fleet: fast retries, short timeouts, a 1 s toleration. */
export function testSettings(fleet: TestFleet, over: Partial<KubernetesTargetSettings> = {}): KubernetesTargetSettings {
  return {
    ...DEFAULT_KUBERNETES_SETTINGS,
    label: 'test-kubeconfig',
    kubeconfigText: fleet.kubeconfigText,
    kubeconfigDir: null,
    contexts: {},
    secretsDir: null,
    timeoutSeconds: 2,
    retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5_000 },
    failover: { failureThresholdSeconds: 0, tolerationSeconds: 1, recoveryThresholdSeconds: 0 },
    ...over,
  };
}

export function testDeps(over: Partial<KubernetesTargetDeps> = {}): KubernetesTargetDeps {
  return { readFile: () => null, now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: () => 0.5, ...over };
}

/** A target over a test fleet. */
export function testTarget(
  fleet: TestFleet,
  over: Partial<KubernetesTargetSettings> = {},
  deps: Partial<KubernetesTargetDeps> = {},
): KubernetesTarget {
  return new KubernetesTarget(testSettings(fleet, over), testDeps(deps));
}

/** Write requests (not dry runs) of every server since the last clear. */
export function writes(fleet: TestFleet): Array<{ cluster: string; method: string; path: string; dryRun: boolean }> {
  return [...fleet.servers.values()].flatMap((s: TestApiServer) =>
    s.writeRequests().map((r) => ({ cluster: s.name, method: r.method, path: r.path, dryRun: r.dryRun })),
  );
}

export function clearRequests(fleet: TestFleet): void {
  for (const s of fleet.servers.values()) s.clearRequests();
}

/**
 * Operator-side credentials for a seed fleet in `base`: `kubeconfig` with a context per server except
 * `secretRefServer`, which is reachable only through production-cluster-01's AttachedCluster secretRef
 * (`secrets/kurator-system/cluster-01-kubeconfig`).
 */
export async function writeFleetCredentials(fleet: TestFleet, base: string, secretRefServer = 'prod-01'): Promise<void> {
  const attached = fleet.servers.get(secretRefServer)!;
  await writeFile(path.join(base, 'kubeconfig'), fleetKubeconfig([...fleet.servers.values()].filter((s) => s !== attached)));
  await mkdir(path.join(base, 'secrets/kurator-system'), { recursive: true });
  await writeFile(path.join(base, 'secrets/kurator-system/cluster-01-kubeconfig'), fleetKubeconfig([attached]));
}
