// npm run bench (file writes): what the directory target's way of writing files costs, per file,
// against the ways it used before (a full reconcile writes one file per rendered object). N files of
// 600 bytes into 100 folders, 32 at a time as the target writes them, each way in a fresh folder;
// rounds alternate the ways. Two comparisons:
//   - the file system adapter (nodeTargetFs, node's callback API) against fs.promises.writeFile,
//     files spread over the folders: the process's user CPU (the main thread and the libuv pool's
//     threads), the kernel's share and the wall time moving with the disk;
//   - the order of the writes: the plan's order (folder after folder) against interleaveFolders'
//     (one file of each folder in turn), both through the adapter: wall time, the kernel creating
//     one file at a time in a folder.
// Run after `npm run build`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mapLimit } from '../dist/kube/limit.js';
import { interleaveFolders } from '../dist/targets/directory.js';
import { nodeTargetFs } from '../dist/targets/fs.js';

const FILES = Number(process.env.FLOTILLA_BENCH_FILES ?? 20000);
const FOLDERS = 100;
const ROUNDS = 3;
const text = `${'x'.repeat(599)}\n`;
// Folder after folder, as a plan lists them (a cluster's namespace folder at a time).
const planOrder = Array.from({ length: FILES }, (_, i) => `${Math.floor((i * FOLDERS) / FILES)}/f${i}.yaml`);
const ways = {
  'nodeTargetFs.writeFile (callbacks), folders in turn': { order: interleaveFolders(planOrder), write: adapterWrite },
  'fs.promises.writeFile (before), folders in turn': {
    order: interleaveFolders(planOrder),
    write: (file) => fs.promises.writeFile(file, text, { flag: 'wx' }),
  },
  'nodeTargetFs.writeFile (callbacks), folder after folder (before)': { order: planOrder, write: adapterWrite },
};

function adapterWrite(file) {
  return nodeTargetFs.writeFile(file, text, { exclusive: true });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-files-'));
const results = new Map(Object.keys(ways).map((k) => [k, { user: [], system: [], wall: [] }]));
try {
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, { order, write }] of Object.entries(ways)) {
      const dir = path.join(root, String(n++));
      for (let d = 0; d < FOLDERS; d++) fs.mkdirSync(path.join(dir, String(d)), { recursive: true });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await mapLimit(order, 32, (rel) => write(path.join(dir, rel)));
      results.get(name).wall.push(performance.now() - t0);
      const used = process.cpuUsage(c0);
      results.get(name).user.push(used.user / 1000);
      results.get(name).system.push(used.system / 1000);
    }
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
const what = `${FILES} files of 600 bytes in ${FOLDERS} folders, 32 at a time`;
console.log(`file-write benchmark: ${what}, median of ${ROUNDS} alternating rounds, Node ${process.version}\n`);
console.log('| way | user CPU | kernel CPU | wall |');
console.log('|---|---|---|---|');
const ms = (xs) => `${median(xs).toFixed(0)} ms`;
for (const [name, r] of results) console.log(`| ${name} | ${ms(r.user)} | ${ms(r.system)} | ${ms(r.wall)} |`);
const [spread, promises, grouped] = [...results.values()];
console.log(`\nuser CPU, callbacks ÷ promises: ${(median(spread.user) / median(promises.user)).toFixed(2)}×`);
console.log(`wall, folders in turn ÷ folder after folder: ${(median(spread.wall) / median(grouped.wall)).toFixed(2)}×`);
