/**
 * Makes a job's output folder appear all at once or not at all, like Spark's
 * FileOutputCommitter: everything is written into a hidden staging folder next to the final
 * one (same parent, so the last step is a rename on one file system), then `_SUCCESS` is
 * written and the folder renamed into place. The driver opens one committer per job before any
 * work, hands `path(...)` to the artifact writers, and calls commit() or abort() at the end.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { KindlingError, OutputError } from '@kindling/shared/compute';

/** What to do when the final folder already exists (Spark's SaveMode ErrorIfExists / Overwrite). */
export type OutputMode = 'error' | 'overwrite';

/** Name of the marker written last into a complete output folder. */
export const SUCCESS_MARKER = '_SUCCESS';

type CommitterState = 'open' | 'committed' | 'aborted';

/** Stages a job's output folder and publishes it atomically. */
export class OutputCommitter {
  /** Absolute path of the folder the job publishes. */
  readonly finalPath: string;
  /** Absolute path of the hidden folder the job writes into until commit. */
  readonly stagingPath: string;
  readonly mode: OutputMode;
  private state: CommitterState = 'open';

  private constructor(
    finalPath: string,
    stagingPath: string,
    mode: OutputMode,
    /** The staging folder's identity (device, inode) when it was created. */
    private readonly stagingId: string,
  ) {
    this.finalPath = finalPath;
    this.stagingPath = stagingPath;
    this.mode = mode;
  }

  /**
   * Checks the destination and creates the staging folder. Fails before any work is done when
   * the final folder exists in 'error' mode, or when its parent cannot be created or written.
   */
  static async begin(finalPath: string, mode: OutputMode): Promise<OutputCommitter> {
    const target = nodePath.resolve(finalPath);
    const parent = nodePath.dirname(target);
    const name = nodePath.basename(target);
    if (target === parent) {
      throw new OutputError(`cannot use ${target} as an output folder: it is a file system root`, target);
    }
    const existing = await statOrUndefined(target);
    if (existing !== undefined) {
      if (mode === 'error') {
        throw new OutputError(`output folder ${target} already exists; use output.mode: overwrite or --overwrite to replace it`, target);
      }
      if (!existing.isDirectory()) {
        // Overwrite replaces a previous job's folder, never an unrelated file.
        throw new OutputError(`output path ${target} exists and is not a folder; refusing to replace it`, target);
      }
    }
    try {
      await fs.mkdir(parent, { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'is not a folder' : 'cannot be created';
      throw new OutputError(`cannot create output folder ${target}: its parent ${parent} ${why} (${errnoOf(err)})`, target, { cause: err });
    }
    const staging = nodePath.join(parent, `.${name}.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.mkdir(staging);
    } catch (err) {
      throw new OutputError(
        `cannot create output folder ${target}: its parent ${parent} is not a writable folder (${errnoOf(err)})`,
        target,
        { cause: err },
      );
    }
    const st = await fs.stat(staging);
    return new OutputCommitter(target, staging, mode, `${st.dev}:${st.ino}`);
  }

  /** Absolute path of `rel` inside the staging folder; rejects paths that escape it. */
  path(rel: string): string {
    const p = nodePath.resolve(this.stagingPath, rel);
    const back = nodePath.relative(this.stagingPath, p);
    if (back.startsWith('..') || nodePath.isAbsolute(back)) {
      throw new OutputError(`output file ${rel} is outside the output folder ${this.finalPath}`, this.finalPath);
    }
    return p;
  }

  /**
   * Writes `value` as pretty JSON to `rel` inside the staging folder through a temporary file
   * and a rename, so a reader never sees half a file (metrics.json, run.json).
   */
  async writeJsonAtomic(rel: string, value: unknown): Promise<void> {
    this.assertOpen('write to');
    const target = this.path(rel);
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await fs.mkdir(nodePath.dirname(target), { recursive: true });
      await fs.writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
      await fs.rename(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw new OutputError(`cannot write ${target}: ${errnoOf(err)}`, target, { cause: err });
    }
  }

  /** Same as writeJsonAtomic(). */
  async writeJson(rel: string, value: unknown): Promise<void> {
    await this.writeJsonAtomic(rel, value);
  }

  /**
   * Writes `_SUCCESS` and renames the staging folder to the final path. In 'overwrite' mode an
   * existing folder is first renamed aside, restored if the swap fails, and deleted afterwards.
   */
  async commit(): Promise<void> {
    this.assertOpen('commit');
    // Writers create the folders they write into, so a staging folder removed while the job ran
    // would come back holding only what was written after: publish nothing rather than that.
    const now = await fs.stat(this.stagingPath).catch(() => undefined);
    if (now === undefined || `${now.dev}:${now.ino}` !== this.stagingId) {
      await this.abort();
      throw new OutputError(
        `the staging folder ${this.stagingPath} was removed or replaced while the job ran; nothing was published to ${this.finalPath}`,
        this.finalPath,
      );
    }
    try {
      await fs.writeFile(nodePath.join(this.stagingPath, SUCCESS_MARKER), '');
    } catch (err) {
      throw new OutputError(`cannot write ${SUCCESS_MARKER} into ${this.stagingPath}: ${errnoOf(err)}`, this.finalPath, { cause: err });
    }
    const existing = await statOrUndefined(this.finalPath);
    if (existing === undefined) {
      await this.renameIntoPlace();
      this.state = 'committed';
      return;
    }
    if (this.mode === 'error') {
      // rename(2) would silently replace an empty folder created since begin(): check again.
      throw new OutputError(
        `output folder ${this.finalPath} appeared while the job ran; use output.mode: overwrite or --overwrite`,
        this.finalPath,
      );
    }
    if (!existing.isDirectory()) {
      throw new OutputError(`output path ${this.finalPath} exists and is not a folder; refusing to replace it`, this.finalPath);
    }
    const parent = nodePath.dirname(this.finalPath);
    const aside = nodePath.join(parent, `.${nodePath.basename(this.finalPath)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(this.finalPath, aside);
    } catch (err) {
      throw new OutputError(`cannot move the old output folder ${this.finalPath} aside: ${errnoOf(err)}`, this.finalPath, { cause: err });
    }
    try {
      await this.renameIntoPlace();
    } catch (err) {
      // Put the previous output back so the final path never goes missing.
      await fs.rename(aside, this.finalPath).catch(() => undefined);
      throw err;
    }
    this.state = 'committed';
    // The new output is in place; failing to delete the old copy must not fail the job.
    await fs.rm(aside, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Deletes the staging folder; safe to call more than once, and a no-op after commit. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await fs.rm(this.stagingPath, { recursive: true, force: true });
  }

  private async renameIntoPlace(): Promise<void> {
    try {
      await fs.rename(this.stagingPath, this.finalPath);
    } catch (err) {
      throw new OutputError(`cannot move the finished output into ${this.finalPath}: ${errnoOf(err)}`, this.finalPath, { cause: err });
    }
  }

  private assertOpen(action: string): void {
    if (this.state !== 'open') {
      throw new KindlingError('E_INTERNAL', `cannot ${action} output ${this.finalPath}: already ${this.state}`, { path: this.finalPath });
    }
  }
}

async function statOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // ENOTDIR: a path component is a file; the parent check in begin() reports it clearly.
    if (code === 'ENOTDIR') return undefined;
    throw new OutputError(`cannot inspect output path ${p}: ${errnoOf(err)}`, p, { cause: err });
  }
}

function errnoOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
