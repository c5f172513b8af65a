#!/usr/bin/env node
/**
 * What grew between two V8 heap snapshots (soak.mjs --heap-snapshots writes one per executor
 * at the baseline and at the end): objects grouped by type and constructor or string name,
 * the groups whose count or bytes changed most, largest growth first.
 *
 *   node scripts/soak/heap-diff.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--top 20]
 */
import { readFileSync } from 'node:fs';

function groups(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + ti]];
    // Strings are grouped by type only: their text is the content, not a kind of object.
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : snap.strings[snap.nodes[i + ni]];
    const key = `${type} ${String(name).slice(0, 80)}`;
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += snap.nodes[i + si];
    total += snap.nodes[i + si];
    out.set(key, g);
  }
  return { groups: out, total, nodes: snap.nodes.length / stride };
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 20;
if (args.length !== 2 || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: node scripts/soak/heap-diff.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--top N]\n');
  process.exit(2);
}
const [a, b] = args.map(groups);
console.log(
  `before: ${a.nodes} objects, ${(a.total / 2 ** 20).toFixed(2)} MiB; after: ${b.nodes} objects, ${(b.total / 2 ** 20).toFixed(2)} MiB`,
);
const keys = new Set([...a.groups.keys(), ...b.groups.keys()]);
const rows = [...keys]
  .map((k) => {
    const x = a.groups.get(k) ?? { count: 0, bytes: 0 };
    const y = b.groups.get(k) ?? { count: 0, bytes: 0 };
    return { k, dc: y.count - x.count, db: y.bytes - x.bytes, before: x.count, after: y.count };
  })
  .filter((r) => r.dc !== 0 || r.db !== 0)
  .sort((p, q) => q.db - p.db || q.dc - p.dc)
  .slice(0, top);
for (const r of rows)
  console.log(
    `${String(r.db >= 0 ? `+${r.db}` : r.db).padStart(10)} B ${String(r.dc >= 0 ? `+${r.dc}` : r.dc).padStart(7)} objects (${r.before} → ${r.after})  ${r.k}`,
  );
