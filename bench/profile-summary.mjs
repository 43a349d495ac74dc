// Summarises a .cpuprofile: self time by function and by package, heaviest first.
// `node bench/profile-summary.mjs <file.cpuprofile> [top] [from-second] [to-second]`: the window
// leaves startup out, so only the load itself is counted.
import fs from 'node:fs';

const profile = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] ?? 40);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
const from = Number(process.argv[4] ?? 0) * 1e6;
const to = Number(process.argv[5] ?? Infinity) * 1e6;
let clock = 0;
for (let i = 0; i < profile.samples.length; i++) {
  clock += deltas[i] ?? 0;
  if (clock < from || clock > to) continue;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (deltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map();
const byPackage = new Map();
for (const [id, micros] of self) {
  const { callFrame } = byId.get(id);
  const url = callFrame.url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/src/') ? `src/${url.split('/src/')[1].split('/')[0]}` : url || `(${callFrame.functionName || 'native'})`);
  const key = `${callFrame.functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
}
const show = (title, map, limit) => {
  console.log(`\n${title}`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
};
show('self time by package', byPackage, 25);
show('self time by function', byFunction, top);
