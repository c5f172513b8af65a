/**
 * Glob patterns for `input.path` (`data/2026-*\/part-*.csv`), expanded on the driver. Node 20
 * has no stable glob (fs.promises.glob is Node 22; path.matchesGlob prints an experimental
 * warning), and no glob package is a direct dependency, so this is a small matcher of the
 * usual syntax, per path segment: `*` (any run of characters but `/`), `?` (one character),
 * `[abc]`, `[a-z]`, `[!abc]` (a character class), `{a,b}` (alternatives, not nested) and a
 * whole-segment `**` (any number of directories, including none). A leading `.` is matched
 * only by a pattern segment that starts with `.` (as shells and Hadoop do).
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** True when `p` holds glob syntax (then it is expanded, not opened). */
export function hasGlobSyntax(p: string): boolean {
  return /[*?[{]/.test(p);
}

/** The regular expression of one path segment of a glob. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  let inAlt = false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
      i = close;
    } else if (c === '{' && !inAlt) {
      inAlt = true;
      re += '(?:';
    } else if (c === '}' && inAlt) {
      inAlt = false;
      re += ')';
    } else if (c === ',' && inAlt) re += '|';
    else re += c.replace(/[.+^$()|\\/]/g, (m) => `\\${m}`);
  }
  if (inAlt) throw new SyntaxError(`unclosed { in glob segment ${JSON.stringify(segment)}`);
  return new RegExp(`^${re}$`);
}

/**
 * The files matching an absolute glob, in no particular order (callers sort). Directories
 * along the way that cannot be read are skipped, as a shell's glob skips them.
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const root = path.parse(pattern).root;
  const segments = pattern
    .slice(root.length)
    .split(/[/\\]+/)
    .filter((s) => s !== '');
  const out: string[] = [];
  await walk(root, segments, 0, out);
  return [...new Set(out)];
}

async function walk(dir: string, segments: readonly string[], k: number, out: string[]): Promise<void> {
  if (k === segments.length) return;
  const seg = segments[k]!;
  const last = k === segments.length - 1;
  if (!hasGlobSyntax(seg)) {
    const next = path.join(dir, seg);
    if (last) {
      if (await isFile(next)) out.push(next);
    } else await walk(next, segments, k + 1, out);
    return;
  }
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  if (seg === '**') {
    // Zero directories, then each subdirectory (not hidden) with ** still in force; a final ** matches every file below.
    if (last) for (const e of entries) if (e.isFile() && !e.name.startsWith('.')) out.push(path.join(dir, e.name));
    await walk(dir, segments, k + 1, out);
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) await walk(path.join(dir, e.name), segments, k, out);
    return;
  }
  const re = segmentRegExp(seg);
  for (const e of entries) {
    if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
    if (!re.test(e.name)) continue;
    const full = path.join(dir, e.name);
    if (last) {
      if (e.isFile() || (e.isSymbolicLink() && (await isFile(full)))) out.push(full);
    } else if (e.isDirectory() || e.isSymbolicLink()) await walk(full, segments, k + 1, out);
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
