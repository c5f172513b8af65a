#!/usr/bin/env node
// Fails (exit 1) when modules of a workspace package import each other in a cycle, counting
// `import type` and `export type … from` edges too. eslint's import-x/no-cycle only follows
// runtime imports, so a module that needs another's interface while that one needs its
// functions would pass it; such a pair is still one module split in two, and the shared
// declaration belongs in a module of its own. Imports between packages are not followed:
// tsc -b project references already refuse a cycle there.
//
// Usage: node scripts/check-import-cycles.mjs   (from the repository root; `npm run lint:cycles`)
import path from 'node:path';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const solution = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config;
const projects = solution.references.map((r) => path.join(root, r.path, 'tsconfig.json'));

let cycles = 0;
for (const configPath of projects) {
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const files = new Set(parsed.fileNames.map((f) => path.resolve(f)));
  /** @type {Map<string, string[]>} */
  const edges = new Map();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = [];
    for (const { fileName } of importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, parsed.options, ts.sys).resolvedModule;
      const target = resolved && path.resolve(resolved.resolvedFileName);
      if (target && target !== file && files.has(target)) targets.push(target);
    }
    edges.set(file, targets);
  }
  for (const component of stronglyConnected(edges)) {
    cycles++;
    console.error(
      `import cycle in ${path.relative(root, path.dirname(configPath))}/: ${cycleThrough(component, edges)
        .map((f) => path.relative(root, f))
        .join(' → ')}`,
    );
  }
}
if (cycles > 0) {
  console.error(`${cycles} import cycle(s); move what the modules share into a module of its own`);
  process.exit(1);
}
console.log('no import cycles');

/** Tarjan's algorithm: the components of more than one module, each as a set of files. */
function stronglyConnected(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = new Set();
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.add(w);
      } while (w !== v);
      if (component.size > 1) out.push(component);
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** One concrete cycle inside a component (breadth-first back to its first file), for the message. */
function cycleThrough(component, edges) {
  const [start] = [...component].sort();
  const parent = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of edges.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const route = [];
        for (let u = v; u !== null; u = parent.get(u)) route.unshift(u);
        return [...route, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component];
}
