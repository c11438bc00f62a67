// The test API server: a test double of kube-apiserver for flotilla's tests (see README.md).
export {
  startTestApiServer,
  type TestApiServer,
  type TestApiServerOptions,
  type KubeRequestRecord,
  type NodeSeed,
  type PodSeed,
} from './server.js';
export type { KubeFault } from './faults.js';
export type { ImpersonatedIdentity, ImpersonationPolicy, ImpersonationRule } from './impersonation.js';
export type { KubeObject, ManagedFieldsEntry } from './types.js';
export { fromFieldsV1, pathString, type FieldSet } from './fieldset.js';
