// The fleet the scope tests share (fixtures/scope/fleet.yaml): two clusters, east and west, and a
// ClusterPropagationPolicy placing every ConfigMap and ClusterRoleBinding on both.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const SCOPE_FLEET = readFileSync(path.resolve(import.meta.dirname, '../../fixtures/scope/fleet.yaml'), 'utf8');
