// npm run bench (file writes): what the directory target's file system adapter costs the main
// thread per file, against fs.promises.writeFile, which it used before (a full reconcile writes one
// file per rendered object). N files of 600 bytes into 100 folders, 32 at a time as the target
// writes them, each way in a fresh folder; rounds alternate the two ways. The process's user CPU
// (process.cpuUsage: the main thread and the libuv pool's threads) and wall time; the kernel's
// share and the wall time move with the disk, so read the user-time ratio. Run after `npm run build`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mapLimit } from '../dist/kube/limit.js';
import { nodeTargetFs } from '../dist/targets/fs.js';

const FILES = Number(process.env.FLOTILLA_BENCH_FILES ?? 20000);
const ROUNDS = 3;
const text = `${'x'.repeat(599)}\n`;
const ways = {
  'nodeTargetFs.writeFile (callbacks)': (file) => nodeTargetFs.writeFile(file, text, { exclusive: true }),
  'fs.promises.writeFile (before)': (file) => fs.promises.writeFile(file, text, { flag: 'wx' }),
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-files-'));
const results = new Map(Object.keys(ways).map((k) => [k, { user: [], wall: [] }]));
try {
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, write] of Object.entries(ways)) {
      const dir = path.join(root, String(n++));
      for (let d = 0; d < 100; d++) fs.mkdirSync(path.join(dir, String(d)), { recursive: true });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await mapLimit(Array.from({ length: FILES }), 32, (_x, i) => write(path.join(dir, String(i % 100), `f${i}.yaml`)));
      results.get(name).wall.push(performance.now() - t0);
      results.get(name).user.push(process.cpuUsage(c0).user / 1000);
    }
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
console.log(
  `file-write benchmark: ${FILES} files of 600 bytes, 32 at a time, median of ${ROUNDS} alternating rounds, Node ${process.version}\n`,
);
console.log('| way | user CPU | wall |');
console.log('|---|---|---|');
for (const [name, r] of results) console.log(`| ${name} | ${median(r.user).toFixed(0)} ms | ${median(r.wall).toFixed(0)} ms |`);
const [callbacks, promises] = [...results.values()].map((r) => median(r.user));
console.log(`\nuser CPU, callbacks ÷ promises: ${(callbacks / promises).toFixed(2)}×`);
