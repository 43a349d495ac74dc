// Who calls a function, by total self time under it: `node bench/profile-callers.mjs <file.cpuprofile> <functionName> [depth]`
import fs from 'node:fs';

const profile = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const target = process.argv[3];
const depth = Number(process.argv[4] ?? 10);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const inclusive = (id) => {
  const node = byId.get(id);
  return (self.get(id) ?? 0) + (node.children ?? []).reduce((sum, child) => sum + inclusive(child), 0);
};
const stacks = new Map();
for (const node of profile.nodes) {
  if (node.callFrame.functionName !== target) continue;
  // Only outermost occurrences, so recursion is not counted twice.
  let up = parent.get(node.id);
  let nested = false;
  for (let cur = up; cur; cur = parent.get(cur)) if (byId.get(cur).callFrame.functionName === target) nested = true;
  if (nested) continue;
  const chain = [];
  for (let d = 0; d < depth && up; d++, up = parent.get(up)) {
    const frame = byId.get(up).callFrame;
    chain.push(`${frame.functionName || '(anon)'}@${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`);
  }
  const key = chain.join('\n    < ');
  stacks.set(key, (stacks.get(key) ?? 0) + inclusive(node.id));
}
for (const [key, micros] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`${(micros / 1000).toFixed(0)} ms  ${key}\n`);
