// Runs the exact commands of deploy/ci/github-actions.yml and deploy/ci/gitlab-ci.yml against a
// fixture repository with two commits (seed → scenario), with the real `node bin/flotilla.js`.
import { afterAll, describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { cleanupRepos, gitEnv, makeTempDir } from '../helpers/git.js';
import { scenarioRepo } from '../plan/scenarios.js';

afterAll(cleanupRepos);

const ROOT = path.resolve(import.meta.dirname, '../..');
const FLOTILLA = `node ${path.join(ROOT, 'bin/flotilla.js')}`;
/** Each workflow runs flotilla four or five times, a process each: more than the default 20 s on a busy 2-core machine. */
const WORKFLOW_TIMEOUT = 60_000;

interface Step {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: { script?: string; path?: string };
}

const workflow = parse(readFileSync(path.join(ROOT, 'deploy/ci/github-actions.yml'), 'utf8')) as {
  jobs: { plan: { steps: Step[]; env: Record<string, string> } };
};
const steps = workflow.jobs.plan.steps;
const step = (id: string) => steps.find((s) => s.id === id)!;

/** Runs a step's script as GitHub does (`bash -e {0}`), in `cwd` with `env`. */
function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-c', script], { cwd, env: { ...gitEnv(), ...env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function outputs(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('=', 2) as [string, string]),
  );
}

/** The github-script step, run with a fake GitHub API that records comments. */
async function postComment(
  script: string,
  env: Record<string, string>,
  comments: Array<{ id: number; body: string; user: { type: string } }>,
) {
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const github = {
    paginate: async () => comments,
    rest: {
      issues: {
        listComments: {},
        createComment: async ({ body }: { body: string }) => void comments.push({ id: comments.length + 1, body, user: { type: 'Bot' } }),
        updateComment: async ({ comment_id, body }: { comment_id: number; body: string }) =>
          void (comments.find((c) => c.id === comment_id)!.body = body),
      },
    },
  };
  const context = { repo: { owner: 'o', repo: 'fleet' }, issue: { number: 7 } };
  const saved = process.env.RUNNER_TEMP;
  process.env.RUNNER_TEMP = env.RUNNER_TEMP;
  try {
    await new AsyncFunction('require', 'github', 'context', script)(createRequire(import.meta.url), github, context);
  } finally {
    process.env.RUNNER_TEMP = saved;
  }
}

/** Runs validate → plan → comment → check of the GitHub workflow on a scenario; HEAD is the pull request's head. */
async function runGithubWorkflow(scenario: string) {
  const { dir, base } = await scenarioRepo(scenario);
  const temp = await makeTempDir('flotilla-ci-');
  const env = {
    FLOTILLA,
    BASE_SHA: base,
    RUNNER_TEMP: temp,
    GITHUB_OUTPUT: path.join(temp, 'validate.out'),
    GITHUB_STEP_SUMMARY: path.join(temp, 'summary.md'),
  };
  const validate = await bash(step('validate').run!, dir, env);
  const plan = await bash(step('plan').run!, dir, { ...env, GITHUB_OUTPUT: path.join(temp, 'plan.out') });
  const report = await bash(step('report').run!, dir, { ...env, GITHUB_OUTPUT: path.join(temp, 'report.out') });
  const out = {
    validate: outputs(path.join(temp, 'validate.out')),
    plan: outputs(path.join(temp, 'plan.out')),
    report: outputs(path.join(temp, 'report.out')),
  };
  const check = await bash(step('check').run!, dir, {
    ...env,
    VALIDATE_EXIT: out.validate['exit-code']!,
    PLAN_EXIT: out.plan['exit-code']!,
  });
  return { dir, temp, env, validate, plan, report, out, check, markdown: readFileSync(path.join(temp, 'flotilla-plan.md'), 'utf8') };
}

describe('deploy/ci/github-actions.yml', () => {
  it('runs on pull requests with fetch-depth 0, and the job env runs flotilla from .flotilla', () => {
    expect(steps[0]).toMatchObject({ uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } });
    expect(workflow.jobs.plan.env.FLOTILLA).toBe('node .flotilla/bin/flotilla.js');
    expect(step('plan').run).toContain('--base "$BASE_SHA" --head HEAD --format markdown');
  });

  it(
    'weight change: validate exit 0, plan exit 2, markdown posted once then updated in place, check passes',
    { timeout: WORKFLOW_TIMEOUT },
    async () => {
      const r = await runGithubWorkflow('weight-change');
      expect(r.out).toEqual({ validate: { 'exit-code': '0' }, plan: { 'exit-code': '2' }, report: { 'exit-code': '0' } });
      expect(r.markdown.startsWith('<!-- flotilla-plan -->')).toBe(true);
      // The report the upload step takes: one HTML file holding the plan's matrix.
      const upload = steps.find((s) => s.uses === 'actions/upload-artifact@v4')!;
      expect(upload.with?.path).toBe('${{ runner.temp }}/flotilla-report.html');
      expect(readFileSync(path.join(r.temp, 'flotilla-report.html'), 'utf8')).toContain('"ref":"Deployment/default/nginx"');
      expect(r.markdown).toContain('| Deployment default/nginx | **6→5** | **4→5** |');
      expect(readFileSync(r.env.GITHUB_STEP_SUMMARY, 'utf8')).toBe(r.markdown);
      expect(r.check.code).toBe(0);

      const comments = [{ id: 1, body: 'LGTM', user: { type: 'User' } }];
      const script = steps.find((s) => s.uses === 'actions/github-script@v7')!.with!.script!;
      await postComment(script, r.env, comments);
      await postComment(script, r.env, comments);
      expect(comments.map((c) => c.id)).toEqual([1, 2]);
      expect(comments[1]!.body).toBe(r.markdown);
    },
  );

  it(
    'invalid head: annotations on file:line, plan exit 1 with the markdown still written, check fails',
    { timeout: WORKFLOW_TIMEOUT },
    async () => {
      const r = await runGithubWorkflow('invalid-head');
      expect(r.validate.stdout).toContain('::error file=13-web-frontend.yaml,line=11,col=13,title=YAML_PARSE::');
      expect(r.out).toEqual({ validate: { 'exit-code': '1' }, plan: { 'exit-code': '1' }, report: { 'exit-code': '1' } });
      expect(existsSync(path.join(r.temp, 'flotilla-report.html'))).toBe(true);
      expect(r.markdown).toContain('**Head has 2 errors**');
      expect(r.check.code).toBe(1);
      expect(r.check.stdout).toContain('has errors (validate exit 1, plan exit 1)');
    },
  );
});

describe('deploy/ci/gitlab-ci.yml', () => {
  const job = (
    parse(readFileSync(path.join(ROOT, 'deploy/ci/gitlab-ci.yml'), 'utf8')) as Record<
      string,
      { script: string[]; variables: Record<string, string> }
    >
  )['flotilla-plan']!;

  async function runGitlab(scenario: string) {
    const { dir, base } = await scenarioRepo(scenario);
    const r = await bash(job.script.join('\n'), dir, {
      FLOTILLA,
      PLAN_FILE: job.variables.PLAN_FILE!,
      REPORT_FILE: job.variables.REPORT_FILE!,
      CI_MERGE_REQUEST_DIFF_BASE_SHA: base,
    });
    return { ...r, dir };
  }

  it('override change: job passes and leaves flotilla-plan.md as the artifact', { timeout: WORKFLOW_TIMEOUT }, async () => {
    const r = await runGitlab('override-change');
    expect(r.code).toBe(0);
    expect(existsSync(path.join(r.dir, 'flotilla-plan.md'))).toBe(true);
    expect(readFileSync(path.join(r.dir, 'flotilla-plan.md'), 'utf8')).toContain('OverridePolicy default/cross-cloud-config');
    expect(r.stdout).toContain('update Deployment default/global-app');
    expect(readFileSync(path.join(r.dir, 'flotilla-report.html'), 'utf8')).toContain('"ref":"Deployment/default/global-app"');
  });

  it('invalid head: job fails', { timeout: WORKFLOW_TIMEOUT }, async () => {
    const r = await runGitlab('invalid-head');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('has errors (validate exit 1, plan exit 1)');
  });
});
