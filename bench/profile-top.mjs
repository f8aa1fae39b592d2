#!/usr/bin/env node
// Self-time summary of a V8 CPU profile (node --cpu-prof), the way BENCHMARKS.md quotes them.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/descent/workloads.ts W3 train 3
//   node bench/profile-top.mjs /tmp/prof/*.cpuprofile [rows=25]
import { readFileSync } from 'node:fs';
import process from 'node:process';

const [file, rows = '25'] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
p.samples.forEach((id, i) => {
  const f = byId.get(id).callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`;
  self.set(key, (self.get(key) ?? 0) + p.timeDeltas[i]);
  total += p.timeDeltas[i];
});
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) {
  process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
}
