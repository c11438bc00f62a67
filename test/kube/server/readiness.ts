// Rollout status for the `autoReady` option: the status a workload controller would write once a
// rollout finished, so apply/health tests need no controllers. The fields are the ones kubectl
// rollout status and Flux/Argo health checks read.
import { isPlainObject, type KubeObject } from './types.js';

function desiredReplicas(obj: KubeObject): number {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  return typeof spec.replicas === 'number' ? spec.replicas : 1;
}

/** The finished-rollout status of a Deployment, StatefulSet, DaemonSet or Job; undefined for other kinds. */
export function readyStatus(obj: KubeObject, now: string, nodeCount: number): Record<string, unknown> | undefined {
  const generation = obj.metadata?.generation ?? 1;
  switch (obj.kind) {
    case 'Deployment': {
      const n = desiredReplicas(obj);
      return {
        observedGeneration: generation,
        replicas: n,
        updatedReplicas: n,
        readyReplicas: n,
        availableReplicas: n,
        conditions: [
          {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
            lastUpdateTime: now,
            lastTransitionTime: now,
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            message: 'ReplicaSet has successfully progressed.',
            lastUpdateTime: now,
            lastTransitionTime: now,
          },
        ],
      };
    }
    case 'StatefulSet': {
      const n = desiredReplicas(obj);
      const revision = `${obj.metadata?.name ?? 'sts'}-${generation}`;
      return {
        observedGeneration: generation,
        replicas: n,
        readyReplicas: n,
        currentReplicas: n,
        updatedReplicas: n,
        availableReplicas: n,
        currentRevision: revision,
        updateRevision: revision,
      };
    }
    case 'DaemonSet': {
      const n = Math.max(nodeCount, 1);
      return {
        observedGeneration: generation,
        desiredNumberScheduled: n,
        currentNumberScheduled: n,
        numberReady: n,
        updatedNumberScheduled: n,
        numberAvailable: n,
        numberMisscheduled: 0,
      };
    }
    case 'Job': {
      const spec = isPlainObject(obj.spec) ? obj.spec : {};
      const completions = typeof spec.completions === 'number' ? spec.completions : 1;
      return {
        startTime: now,
        completionTime: now,
        succeeded: completions,
        conditions: [{ type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now }],
      };
    }
    default:
      return undefined;
  }
}
