/**
 * Which bytes of its file a partition needs, for whoever reads them (the executor's worker
 * from a local file, or the SourceReader from the driver): a CSV partition its byte range; a
 * gzip file all of it (gzip cannot be split); a Parquet partition the span of its row groups
 * plus the file's footer (the metadata that says where each column chunk lies). The ranges are
 * read in order and concatenated; the readers (csv-source.ts, parquet-partition-reader.ts)
 * know the layout from the same source.
 */
import type { PartitionSource } from '../tasks.js';

/** Byte ranges [start, end) of the partition's file, in the order their bytes are concatenated. */
export function partitionByteRanges(source: PartitionSource): readonly (readonly [number, number])[] {
  if (source.format === 'parquet') {
    const size = source.fileSize ?? source.end;
    const footer = source.footerStart ?? size;
    return footer < size
      ? [
          [source.start, source.end],
          [Math.max(footer, source.end), size],
        ]
      : [[source.start, source.end]];
  }
  return [[source.start, source.end]];
}

/** Total bytes of partitionByteRanges. */
export function partitionByteLength(source: PartitionSource): number {
  return partitionByteRanges(source).reduce((a, [s, e]) => a + (e - s), 0);
}
