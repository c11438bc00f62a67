// The git target: the desired state on a branch of the fleet repository (one folder per cluster,
// the `render --out` layout), for tools that deploy from Git (Argo CD, Flux) or for review. A
// commit is made only when the tree changes; its message names the source revision. It shares
// the status branch's blobs and trees: the branch's tree *is* the status branch's manifests/.
import type { Signature } from '../source/objects.js';
import type { SourceRepository } from '../source/remote.js';
import { FlotillaError } from '../model/diagnostics.js';
import { countChanges, type Target, type TargetPlan, type TargetReport } from './target.js';

/** How often a commit is rebuilt on a branch that keeps moving before giving up. */
const MAX_PUBLISH_ATTEMPTS = 5;

export class GitBranchTarget implements Target {
  readonly type = 'git' as const;
  readonly name: string;
  private fetched = false;

  constructor(
    private readonly repo: SourceRepository,
    private readonly branch: string,
    private readonly author: () => Signature,
  ) {
    this.name = `git:${branch}`;
  }

  async apply(plan: TargetPlan): Promise<TargetReport> {
    try {
      return await this.publish(plan);
    } catch (e) {
      this.fetched = false;
      return {
        created: 0,
        configured: 0,
        deleted: 0,
        unchanged: 0,
        failed: plan.total,
        failedClusters: [...new Set([...plan.files().keys()].map((p) => plan.clusterOf(p)))].sort(),
        ok: false,
        message: `updating branch ${this.branch} failed: ${(e as Error).message}`,
      };
    }
  }

  private async publish(plan: TargetPlan): Promise<TargetReport> {
    const empty = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
    const tree = plan.manifestsTree ?? (await this.repo.objects.editTree(null, new Map()));
    let tip = this.fetched && !plan.full ? await this.repo.knownTip(this.branch) : await this.repo.fetchBranch(this.branch);
    this.fetched = true;
    for (let attempt = 1; ; attempt++) {
      const tipTree = tip ? (await this.repo.objects.readCommit(tip)).tree : null;
      const total = plan.total;
      if (tipTree === tree || (tipTree === null && tree === empty && total === 0)) {
        return { created: 0, configured: 0, deleted: 0, unchanged: total, failed: 0, failedClusters: [], ok: true, message: null };
      }
      const counts =
        tipTree !== null && tipTree === plan.previousManifestsTree
          ? countChanges(plan.changes, total)
          : await this.compareTrees(tipTree, plan);
      const message =
        `flotilla: render ${plan.revision}\n\n${counts.created} created, ${counts.configured} ` +
        `configured, ${counts.deleted} deleted, ${counts.unchanged} unchanged.\n`;
      const commit = await this.repo.objects.writeCommit({ tree, parents: tip ? [tip] : [], message, author: this.author() });
      try {
        await this.repo.publish(this.branch, commit, tip);
        return { ...counts, failed: 0, failedClusters: [], ok: true, message: null };
      } catch (e) {
        if (!(e instanceof FlotillaError && e.code === 'NON_FAST_FORWARD') || attempt >= MAX_PUBLISH_ATTEMPTS) throw e;
        // Someone else moved the branch: rebuild on their tip, never force.
        tip = await this.repo.fetchBranch(this.branch);
      }
    }
  }

  /** Counts against whatever the branch holds when it is not the previous applied state. */
  private async compareTrees(
    tipTree: string | null,
    plan: TargetPlan,
  ): Promise<Pick<TargetReport, 'created' | 'configured' | 'deleted' | 'unchanged'>> {
    const before = tipTree ? await this.repo.objects.listTree(tipTree) : new Map<string, string>();
    const after = plan.files();
    let created = 0;
    let configured = 0;
    let unchanged = 0;
    for (const [p, oid] of after) {
      const old = before.get(p);
      if (old === undefined) created++;
      else if (old !== oid) configured++;
      else unchanged++;
    }
    let deleted = 0;
    for (const p of before.keys()) if (!after.has(p)) deleted++;
    return { created, configured, deleted, unchanged };
  }
}
