// Help for people and shells: one entry per command (what it does, its usage, every flag), from
// which `flotilla help`, `flotilla COMMAND --help` and the completion scripts are all made, so
// they never disagree. test/cli/help.test.ts checks that every flag named here is one the
// command accepts.

export interface FlagHelp {
  /** As typed, e.g. `--out DIR` or `--once`. */
  flag: string;
  text: string;
}

export interface CommandHelp {
  summary: string;
  usage: string;
  description?: string;
  flags: readonly FlagHelp[];
}

const FLEET: readonly FlagHelp[] = [
  { flag: '--repo DIR', text: 'the fleet repository or folder (default: .)' },
  { flag: '--ref REF', text: 'read a Git revision instead of the working tree' },
  { flag: '--path SUBDIR', text: 'the fleet lives in this folder of the repository' },
  { flag: '--previous FILE|auto', text: "last placements (render --format json), or auto: the status branch's" },
  { flag: '--observed FILE|auto', text: "observed clusters (readiness, capacity), or auto: the status branch's" },
  { flag: '--status-branch NAME', text: 'the status branch that auto reads (default: flotilla-status)' },
  { flag: '--config FILE', text: "the reconciler's flotilla.yaml: judge the fleet by its scope (default: the safe defaults)" },
];

const format = (values: string, fallback: string): FlagHelp => ({
  flag: `--format ${values}`,
  text: `output format (default: ${fallback})`,
});

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  render: {
    summary: 'placements and per-cluster manifests of a revision',
    usage: 'flotilla render [fleet flags] [--out DIR] [--format yaml|json]',
    description: 'Exit 0 when the fleet renders without errors, 1 when any error diagnostic exists (nothing is written then).',
    flags: [
      ...FLEET,
      { flag: '--out DIR', text: 'write one file per object, <cluster>/<namespace>/<kind>-<name>.yaml' },
      format('yaml|json', 'yaml'),
    ],
  },
  explain: {
    summary: 'why each cluster was chosen or filtered out for one resource',
    usage: 'flotilla explain KIND/NAMESPACE/NAME [fleet flags] [--format text|json]',
    description: 'Exit 1 when the resource does not exist or cannot be scheduled.',
    flags: [...FLEET, format('text|json', 'text')],
  },
  validate: {
    summary: 'load and schedule the fleet, print its diagnostics',
    usage: 'flotilla validate [fleet flags] [--format text|json|github] [--strict]',
    description: 'Exit 0 without errors, 1 with errors (or, with --strict, warnings). github prints workflow annotations on file:line.',
    flags: [...FLEET, format('text|json|github', 'text'), { flag: '--strict', text: 'warnings are errors too (exit 1), for CI' }],
  },
  get: {
    summary: 'tables of clusters or placements',
    usage: 'flotilla get clusters|placements [fleet flags] [--format text|json]',
    flags: [...FLEET, format('text|json', 'text')],
  },
  plan: {
    summary: 'pull-request review: where replicas go, base → head',
    usage: 'flotilla plan --base REF [--head REF] [--repo DIR] [--path SUBDIR] [--format markdown|text|json] [--max-move PCT]',
    description: 'Exit 0 when nothing changes, 2 when something does, 1 when the head is invalid.',
    flags: [
      { flag: '--base REF', text: 'the revision the pull request merges into (required)' },
      { flag: '--head REF', text: 'the pull request (default: the working tree)' },
      { flag: '--repo DIR', text: 'the fleet repository (default: .)' },
      { flag: '--path SUBDIR', text: 'the fleet lives in this folder of the repository' },
      format('markdown|text|json', 'text'),
      { flag: '--max-move PCT', text: 'warn when more than PCT% of a workload’s replicas move (default: 50)' },
      { flag: '--fresh', text: 'schedule the head from scratch instead of on top of the base’s placements' },
      { flag: '--observed FILE|auto', text: 'observed clusters, as for render' },
      { flag: '--previous FILE|auto', text: 'placements the base is scheduled on top of, as for render' },
      { flag: '--config FILE', text: "the reconciler's flotilla.yaml: judge both sides by its scope" },
    ],
  },
  report: {
    summary: 'one self-contained HTML file of a render, or of a plan with --base',
    usage: 'flotilla report [fleet flags] [--out FILE] | flotilla report --base REF [--head REF] [--out FILE] [plan flags]',
    description:
      'The placement matrix (base → head with the changed cells highlighted), the risks and the diagnostics; no network when viewed. ' +
      'Exit 1 when the (head) revision has errors — the report is written all the same.',
    flags: [
      ...FLEET,
      { flag: '--out FILE', text: 'where to write it (default: flotilla-report.html; - for stdout)' },
      { flag: '--base REF', text: 'report the plan from this revision to --head instead of one render' },
      { flag: '--head REF', text: 'the pull request (default: the working tree); with --base' },
      { flag: '--max-move PCT', text: 'warn when more than PCT% of a workload’s replicas move (default: 50); with --base' },
      { flag: '--fresh', text: 'schedule the head from scratch; with --base' },
    ],
  },
  diff: {
    summary: 'CI dry run: desired state against the status branch or the live clusters',
    usage: 'flotilla diff [--repo DIR] [--ref REF] [--format text|json|github] [--kubeconfig FILE ...]',
    description: 'Exit 0 without differences, 2 with differences, 1 on errors or unreachable clusters. Secret values are redacted.',
    flags: [
      ...FLEET,
      format('text|json|github', 'text'),
      { flag: '--kubeconfig FILE', text: "compare with the live clusters by server-side dry run (as --config's target impersonates)" },
      { flag: '--context-map CLUSTER=CONTEXT,…', text: 'kubeconfig context of each cluster (repeatable)' },
      { flag: '--secrets-dir DIR', text: 'kubeconfigs of AttachedClusters, by secret name' },
      { flag: '--timeout SECONDS', text: 'per-request timeout for live clusters' },
    ],
  },
  reconcile: {
    summary: 'run the reconciler: poll Git, apply to the targets, commit status',
    usage: 'flotilla reconcile --config FILE [--once [--wait[=DURATION]] | --dry-run] [--log-level LEVEL]',
    description:
      'Without --once or --dry-run it runs as a daemon on the configured schedule (and serves HTTP with server:).\n' +
      'One pass (--once, --dry-run) exits 0 when the revision was applied (Synced, or Progressing while workloads roll out),\n' +
      '1 when it failed or is invalid, 3 when it was applied with a problem (Degraded), 4 when --wait ran out.',
    flags: [
      { flag: '--config FILE', text: 'flotilla.yaml (required)' },
      { flag: '--once', text: 'one pass, then exit with its phase (see above)' },
      { flag: '--wait', text: 'with --once: reconcile until every applied workload is Healthy; --wait=DURATION (default 5m)' },
      { flag: '--dry-run', text: 'one pass that writes nothing: what each target would apply and prune; no status commit' },
      { flag: '--log-level LEVEL', text: 'trace|debug|info|warn|error (default: info)' },
    ],
  },
  status: {
    summary: 'the last reconcile, read from the status branch',
    usage: 'flotilla status [--repo DIR | --config FILE] [--branch BRANCH] [--format text|json|yaml]',
    flags: [
      { flag: '--repo DIR', text: 'a local clone holding the status branch (default: .)' },
      { flag: '--config FILE', text: 'read the status branch of the configured source instead' },
      { flag: '--branch BRANCH', text: 'the status branch (default: flotilla-status)' },
      format('text|json|yaml', 'text'),
    ],
  },
  doctor: {
    summary: 'check git access, credentials, the schedule, the clusters and the last reconcile',
    usage: 'flotilla doctor --config FILE',
    flags: [{ flag: '--config FILE', text: 'flotilla.yaml (required)' }],
  },
  demo: {
    summary: 'reconcile the bundled seed fleet once into a directory, then explain it',
    usage: 'flotilla demo [--fleet DIR] [--dir DIR] [--verbose]',
    flags: [
      { flag: '--fleet DIR', text: 'another fleet folder instead of fixtures/seed' },
      { flag: '--dir DIR', text: 'where the demo repository and rendered output go (default: a new temporary folder)' },
      { flag: '--verbose', text: 'log the reconciler at debug level' },
    ],
  },
  completion: {
    summary: 'print a shell completion script',
    usage: 'flotilla completion bash|zsh',
    description: 'bash: source <(flotilla completion bash)   zsh: source <(flotilla completion zsh)',
    flags: [],
  },
  help: {
    summary: 'help for flotilla or one command',
    usage: 'flotilla help [COMMAND]',
    flags: [],
  },
};

/** Flags every command takes. */
export const GLOBAL_FLAGS: readonly FlagHelp[] = [
  { flag: '--help, -h', text: 'help for the command' },
  { flag: '--no-color', text: 'no colour in the output (also: the NO_COLOR environment variable)' },
];

/** The general help: every command on one line. */
export function generalHelp(version: string): string {
  const names = Object.keys(COMMAND_HELP);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMAND_HELP[n]!.summary}`);
  return [
    `flotilla ${version}: GitOps for a fleet of Kubernetes clusters, with Karmada's placement semantics`,
    '',
    'usage: flotilla <command> [flags]',
    '',
    ...lines,
    '',
    'flotilla <command> --help shows its flags; flotilla --version prints the version.',
    'Documentation: docs/guide/cli.md in the repository.',
    '',
  ].join('\n');
}

/** `flotilla COMMAND --help`. */
export function commandHelp(name: string): string | null {
  const h = COMMAND_HELP[name];
  if (!h) return null;
  const flags = [...h.flags, ...GLOBAL_FLAGS];
  const width = Math.max(...flags.map((f) => f.flag.length));
  const out = [`flotilla ${name}: ${h.summary}`, '', `usage: ${h.usage}`];
  if (h.description) out.push('', h.description);
  if (h.flags.some((f) => FLEET.includes(f))) out.push('', 'fleet flags: --repo --ref --path --previous --observed --status-branch');
  out.push('', 'flags:', ...flags.map((f) => `  ${f.flag.padEnd(width)}  ${f.text}`), '');
  return out.join('\n');
}

/** The long option names of a command, as a shell completes them. */
export function flagNames(name: string): string[] {
  const h = COMMAND_HELP[name];
  const flags = [...(h?.flags ?? []), ...GLOBAL_FLAGS];
  return [...new Set(flags.flatMap((f) => f.flag.split(/[ ,]+/).filter((w) => w.startsWith('--'))))].sort();
}

/** `flotilla completion bash|zsh`: completes commands, then each command's flags. */
export function completionScript(shell: string): string | null {
  const names = Object.keys(COMMAND_HELP).sort();
  const cases = names.map((n) => `    ${n}) flags="${flagNames(n).join(' ')}" ;;`).join('\n');
  if (shell === 'bash') {
    return `# flotilla completion for bash: source <(flotilla completion bash)
_flotilla() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd=\${COMP_WORDS[1]} flags=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${names.join(' ')} --help --version" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$flags" -- "$cur") ); else COMPREPLY=( $(compgen -f -- "$cur") ); fi
}
complete -F _flotilla flotilla
`;
  }
  if (shell === 'zsh') {
    return `#compdef flotilla
# flotilla completion for zsh: source <(flotilla completion zsh)
_flotilla() {
  local flags=""
  if (( CURRENT == 2 )); then
    compadd -- ${names.join(' ')} --help --version
    return
  fi
  case "$words[2]" in
${cases}
  esac
  if [[ "$PREFIX" == -* ]]; then compadd -- \${=flags}; else _files; fi
}
compdef _flotilla flotilla
`;
  }
  return null;
}
