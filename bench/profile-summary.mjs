#!/usr/bin/env node
// Summarises a V8 CPU profile (.cpuprofile, as written by `node --cpu-prof` or by the
// benchmarks' BENCH_PROFILE) by self time: idle share, then where the busy time went by
// package (node_modules package, our workspace package, node: module, or V8's own entries
// such as the garbage collector), then the hottest functions.
//   node bench/profile-summary.mjs <file.cpuprofile> [--top 30]
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top 30]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));

/** Microseconds of self time per profile node. */
const selfTime = new Map();
profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

/** Which package a frame belongs to. */
function owner({ url, functionName }) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native code)';
  const pnpm = /node_modules\/\.pnpm\/((?:@[^+/]+\+)?[^@/]+)@/.exec(url);
  if (pnpm) return pnpm[1].replace('+', '/');
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (plain) return plain[1];
  if (url.startsWith('node:')) return url;
  const ours = /\/(packages|apps)\/([^/]+)\//.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

const byOwner = new Map();
const byFunction = new Map();
let total = 0;
let idle = 0;
for (const [id, us] of selfTime) {
  const frame = nodes.get(id).callFrame;
  total += us;
  if (frame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const pkg = owner(frame);
  byOwner.set(pkg, (byOwner.get(pkg) ?? 0) + us);
  const fn = `${frame.functionName || '(anonymous)'}  ${pkg}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
}
const busy = total - idle;
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);

console.log(
  `${(total / 1000).toFixed(0)} ms sampled, ${((100 * idle) / total).toFixed(1)} % idle; shares below are of the ${(busy / 1000).toFixed(0)} ms busy`,
);
console.log('\nby package (self time)');
for (const [pkg, us] of top(byOwner, 20)) console.log(`${pct(us)}  ${pkg}`);
console.log('\nhottest functions (self time)');
for (const [fn, us] of top(byFunction, Number(values.top))) console.log(`${pct(us)}  ${fn}`);
