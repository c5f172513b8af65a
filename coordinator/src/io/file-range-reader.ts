/**
 * Byte-range reads of the input file for the driver: the split planner reads windows around
 * partition boundaries, and the error path counts lines. The driver never loads the whole
 * file; executors read their own ranges.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { ByteRangeReader } from '@kindling/shared/compute';

/** An open file the driver reads ranges from; close it when planning is done. */
export class FileRangeReader {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileRangeReader> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      return new FileRangeReader(handle, size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** A ByteRangeReader bound to this file (returns fewer bytes at EOF). */
  readonly read: ByteRangeReader = async (start: number, length: number) => {
    const len = Math.max(0, Math.min(length, this.size - start));
    const buf = Buffer.allocUnsafe(len);
    let at = 0;
    while (at < len) {
      const { bytesRead } = await this.handle.read(buf, at, len - at, start + at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === len ? buf : buf.subarray(0, at);
  };

  async close(): Promise<void> {
    await this.handle.close();
  }
}
