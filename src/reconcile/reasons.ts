// Why a pass ended where it did. Each stage reports only its own reasons (as const unions), so the
// status branch's `reason` field has a closed vocabulary: the stages' reasons below, and the live
// clusters' (src/live/live-status.ts LIVE_REASONS) for a pass they hold below Synced.
import type { LiveReason } from '../live/live-status.js';

export const FETCH_REASONS = ['AuthenticationFailed', 'FetchFailed'] as const;
export const LOAD_REASONS = ['LoadFailed'] as const;
/** RenderFailed: the renderer threw; InvalidRevision: the revision has error diagnostics (stage load, place or render). */
export const RENDER_REASONS = ['RenderFailed', 'InvalidRevision'] as const;
export const OBSERVE_REASONS = ['ObserveFailed'] as const;
export const DIFF_REASONS = ['DeletionHeldBack'] as const;
export const WRITE_REASONS = ['ObjectWriteFailed', 'TargetWriteFailed'] as const;
/** InternalError: a bug, reported as a failed pass rather than a crashed loop. */
export const RECORD_REASONS = ['StatusWriteFailed', 'InternalError'] as const;

export type FetchReason = (typeof FETCH_REASONS)[number];
export type LoadReason = (typeof LOAD_REASONS)[number];
export type RenderReason = (typeof RENDER_REASONS)[number];
export type ObserveReason = (typeof OBSERVE_REASONS)[number];
export type DiffReason = (typeof DIFF_REASONS)[number];
export type WriteReason = (typeof WRITE_REASONS)[number];
export type RecordReason = (typeof RECORD_REASONS)[number];

/** Every reason a pass can end with. */
export type PassReason = FetchReason | LoadReason | RenderReason | ObserveReason | DiffReason | WriteReason | RecordReason | LiveReason;
