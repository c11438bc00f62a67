// Fetching a Kurator Application's `gitRepository` with the fleet repository's own machinery
// (src/source/: isomorphic-git, a cached clone, timeouts and retries), pinned to one commit.
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_RETRY, type SourceConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { displayUrl, openSourceRepository } from '../source/remote.js';
import type { Application, ApplicationSource } from './application.js';
import type { BuildFile } from './units.js';

/** Where and how Application sources are fetched. */
export interface ApplicationFetchOptions {
  /** The clones' cache (the reconciler's source cacheDir; a folder under the system's temporary folder otherwise). */
  cacheDir?: string;
  timeoutSeconds?: number;
  log?: Logger;
  /** The fleet repository's own URL: the one local path an Application may name (and whose paths it then builds). */
  fleetUrl?: string;
}

/** A fetched source: the pinned commit and every file of the repository at it. */
export interface FetchedSource {
  url: string;
  ref: string;
  commit: string;
  files: Map<string, BuildFile>;
}

/** Fetches `source`; a string is why it could not be (for SOURCE_FETCH_FAILED or UNSUPPORTED_SOURCE). */
export async function fetchApplicationSource(
  source: Extract<ApplicationSource, { kind: 'git' }>,
  opts: ApplicationFetchOptions,
): Promise<FetchedSource | { unsupported: string } | { failed: string }> {
  const { ref } = source;
  if (ref.tag || ref.semver || ref.name) {
    return {
      unsupported: `gitRepository.ref.${ref.tag ? 'tag' : ref.semver ? 'semver' : 'name'} is not supported; use ref.branch or ref.commit`,
    };
  }
  if (!source.url) return { failed: 'spec.source.gitRepository.url is missing' };
  const http = /^https?:\/\//i.test(source.url);
  if (!http && !source.url.startsWith('/') && !source.url.startsWith('file://')) {
    return { unsupported: `${displayUrl(source.url)}: only http(s) URLs and local paths are fetched (no ssh)` };
  }
  // A local path is the reconciler host's: any repository there (another tenant's clone, the
  // status branch's cache) would be read into the fleet by whoever writes an Application.
  if (!http && source.url !== opts.fleetUrl) {
    return {
      unsupported: `${displayUrl(source.url)}: a local path is fetched only when it is the fleet repository's own; use an http(s) URL`,
    };
  }
  // Flux's default branch when the ref names none.
  const branch = ref.branch ?? 'master';
  const config: SourceConfig = {
    url: source.url,
    transport: http ? 'http' : 'local',
    localPath: http ? null : source.url.replace(/^file:\/\//, ''),
    branch,
    path: '',
    schedule: '',
    auth: null,
    timeoutSeconds: opts.timeoutSeconds ?? 60,
    retry: { ...DEFAULT_RETRY },
    // Pinned sources get clones of their own, with history: a tip-only clone lacks an older commit.
    cacheDir: path.join(opts.cacheDir ?? path.join(os.tmpdir(), 'flotilla-cache'), ref.commit ? 'applications-history' : 'applications'),
  };
  try {
    const repo = await openSourceRepository({
      source: config,
      credentials: null,
      log: opts.log ?? silentLogger(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      fullHistory: ref.commit !== undefined,
    });
    const tip = await repo.fetchSource();
    let commit = tip;
    if (ref.commit) {
      // A pinned commit must be on the branch it names (or the default branch): never an arbitrary object.
      if (!(await repo.objects.isAncestor(ref.commit, tip).catch(() => false))) {
        return { failed: `commit ${ref.commit} is not on branch ${branch} of ${displayUrl(source.url)}` };
      }
      commit = ref.commit;
    }
    const files = await repo.readFleetFiles(commit, '', true);
    return {
      url: source.url,
      ref: ref.commit ? `commit ${ref.commit}` : `branch ${branch}`,
      commit,
      files: new Map(
        files.map((f) => [f.path, f.size === undefined ? { path: f.path, text: f.text } : { path: f.path, text: f.text, size: f.size }]),
      ),
    };
  } catch (e) {
    // The clone's folder is this machine's business, not the status branch's.
    return { failed: `${displayUrl(source.url)}: ${(e as Error).message.split(config.cacheDir).join('<cache>')}` };
  }
}

/** One Application's pinned source, as the status branch records it. */
export interface ApplicationRevision {
  application: string;
  file: string;
  url: string;
  ref: string;
  revision: string;
}

export function revisionRecord(app: Application, fetched: FetchedSource): ApplicationRevision {
  return {
    application: `${app.namespace}/${app.name}`,
    file: app.file,
    url: displayUrl(fetched.url),
    ref: fetched.ref,
    revision: fetched.commit,
  };
}
