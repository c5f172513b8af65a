/**
 * Turns `input.path` — a file, a folder, a glob, or a list of these — into the job's input
 * files, sorted by path (byte-wise), so partitions and row ids depend only on the data.
 *
 * A folder is read as Spark writes one (`df.write.csv(dir)`): its data files, recursively,
 * skipping Spark's and Hadoop's bookkeeping — `_SUCCESS`, `_committed_*`, `_started_*`,
 * `*.crc`, and every hidden name (starting with `.` or `_`), file or folder. Glob matches are
 * filtered the same way; a file named explicitly is taken as it is. Empty (0-byte) files found
 * in a folder or by a glob are skipped (Spark writes them for empty partitions). A folder
 * without data files, a glob that matches nothing, or a missing path is an E_IO error naming
 * it, raised before any work.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { KindlingError } from '@kindling/shared/compute';
import { expandGlob, hasGlobSyntax } from './glob-pattern.js';

/** Hidden or bookkeeping names Spark's file index skips (and `.crc` checksums). */
export function isHiddenInputName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || name.endsWith('.crc');
}

/** Byte-wise order of paths (UTF-8), the order of files in a plan. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The input files of `paths` (absolute), each once, sorted by path. */
export async function resolveInputFiles(paths: string | readonly string[]): Promise<string[]> {
  const entries = typeof paths === 'string' ? [paths] : paths;
  const files = new Set<string>();
  for (const entry of entries) for (const f of await filesOf(entry)) files.add(f);
  return [...files].sort(comparePaths);
}

async function filesOf(entry: string): Promise<string[]> {
  if (hasGlobSyntax(entry) && !(await exists(entry))) {
    let matched: string[];
    try {
      matched = await expandGlob(entry);
    } catch (err) {
      throw new KindlingError('E_JOB_SPEC', `input.path: invalid glob ${entry}: ${(err as Error).message}`, {
        path: 'input.path',
        file: entry,
      });
    }
    const kept: string[] = [];
    for (const f of matched) {
      if (isHiddenInputName(path.basename(f))) continue;
      if ((await stat(f)).size > 0) kept.push(f);
    }
    if (kept.length === 0) {
      const why = matched.length > 0 ? ` (${matched.length} hidden or empty file(s) skipped)` : '';
      throw new KindlingError('E_IO', `input ${entry}: the glob matched no data files${why}`, { file: entry });
    }
    return kept;
  }
  let s;
  try {
    s = await stat(entry);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KindlingError(
      'E_IO',
      `input ${entry}: ${code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`,
      { file: entry },
      { cause: err },
    );
  }
  if (!s.isDirectory()) return [entry];
  const found: string[] = [];
  let skipped = 0;
  await listDataFiles(entry, found, () => skipped++);
  if (found.length === 0) {
    throw new KindlingError(
      'E_IO',
      `input ${entry}: the folder has no data files${skipped > 0 ? ` (${skipped} hidden, bookkeeping or empty file(s) skipped)` : ''}`,
      { file: entry },
    );
  }
  return found;
}

async function listDataFiles(dir: string, out: string[], skip: () => void): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new KindlingError('E_IO', `input ${dir}: cannot list the folder: ${(err as Error).message}`, { file: dir }, { cause: err });
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (isHiddenInputName(e.name)) {
      skip();
      continue;
    }
    const s = e.isSymbolicLink() ? await stat(full).catch(() => undefined) : undefined;
    if (e.isDirectory() || s?.isDirectory()) await listDataFiles(full, out, skip);
    else if (e.isFile() || s?.isFile()) {
      if ((s ?? (await stat(full))).size > 0) out.push(full);
      else skip();
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
