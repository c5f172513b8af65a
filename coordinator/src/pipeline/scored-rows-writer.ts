/**
 * Writes `kindling predict`'s output: one part file per partition (`part-00000.parquet` or
 * `.csv`, …), in partition order, into the OutputCommitter's staging folder (the committer adds
 * `_SUCCESS` and publishes the folder). Columns, in order: rowId, rawPrediction, probability,
 * prediction (class index as a double), predictedLabel (the label value, Spark's IndexToString),
 * then the pass-through columns.
 *
 * Parquet: the layout Spark's `df.write.parquet` gives a scored DataFrame — rawPrediction and
 * probability as VectorUDT structs (dense), Spark's schema in the footer — through the shared
 * table writer (artifacts/parquet-table-writer.ts). CSV has no vector type (Spark's CSV writer
 * refuses vectors), so each vector is one column per component (`rawPrediction_0`, …,
 * `probability_0`, …), a header line, RFC 4180 quoting, null as an empty field, and every
 * double printed in JavaScript's shortest round-trip form, so parsing it gives back the bits.
 */
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import { KindlingError, OutputError, type ColumnType, type ScorePartial } from '@kindling/shared/compute';
import { writeParquetTable, type TableColumn } from '../artifacts/parquet-table-writer.js';

/** Output formats of predict. */
export type ScoredOutputFormat = 'parquet' | 'csv';

/** A pass-through column: its name and the type it was loaded with. */
export interface KeptColumn {
  readonly name: string;
  readonly type: ColumnType;
}

/** Writes one partition's scored rows at a time. */
export interface ScoredRowsWriter {
  /** Output column names, in file order. */
  readonly columns: readonly string[];
  /** Writes partition `partition`'s part file; call in increasing partition order. */
  writePart(partition: number, part: ScorePartial): Promise<void>;
}

/** Whether an input column named `name` would collide with an output column. */
export function isScoredColumnName(name: string): boolean {
  return /^(rowId|prediction|predictedLabel|rawPrediction|probability)$/.test(name) || /^(rawPrediction|probability)_\d+$/.test(name);
}

/** Rows per Parquet row group / per CSV write. */
const ROWS_PER_CHUNK = 65_536;

/** Opens a writer into `dir` (which exists). */
export async function openScoredRowsWriter(
  dir: string,
  format: ScoredOutputFormat,
  options: { readonly labelValues: readonly string[]; readonly kept: readonly KeptColumn[] },
): Promise<ScoredRowsWriter> {
  const K = Math.max(2, options.labelValues.length);
  const keptNames = options.kept.map((k) => k.name);
  let last = -1;
  const ordered = (partition: number): void => {
    if (partition <= last) throw new KindlingError('E_INTERNAL', `scored partition ${partition} written after partition ${last}`);
    last = partition;
  };
  const labelOf = (prediction: number): string | null => options.labelValues[prediction] ?? null;
  if (format === 'parquet') {
    return {
      columns: ['rowId', 'rawPrediction', 'probability', 'prediction', 'predictedLabel', ...keptNames],
      async writePart(partition, part) {
        ordered(partition);
        const labels = Array.from(part.prediction, labelOf);
        const columns: TableColumn[] = [
          { name: 'rowId', type: 'long', values: part.rowIds },
          { name: 'rawPrediction', type: 'vector', values: part.rawPrediction, size: part.numClasses },
          { name: 'probability', type: 'vector', values: part.probability, size: part.numClasses },
          { name: 'prediction', type: 'double', values: part.prediction },
          { name: 'predictedLabel', type: 'string', values: labels, nullable: true },
          ...options.kept.map((k, i) => parquetColumn(k, part.columns[i]!)),
        ];
        await writeParquetTable(nodePath.join(dir, partName(partition, 'parquet')), columns, {
          codec: 'SNAPPY',
          rowGroupSize: ROWS_PER_CHUNK,
        });
      },
    };
  }
  const range = (prefix: string): string[] => Array.from({ length: K }, (_, k) => `${prefix}_${k}`);
  const columns = ['rowId', ...range('rawPrediction'), ...range('probability'), 'prediction', 'predictedLabel', ...keptNames];
  return {
    columns,
    async writePart(partition, part) {
      ordered(partition);
      if (part.numClasses !== K)
        throw new KindlingError('E_INTERNAL', `scored partition ${partition} has ${part.numClasses} classes, not ${K}`);
      const file = nodePath.join(dir, partName(partition, 'csv'));
      const cells = options.kept.map((k, i) => csvCells(k, part.columns[i]!));
      const classCells = Array.from(
        { length: K },
        (_, c) => `,${c},${options.labelValues[c] === undefined ? '' : csvQuote(options.labelValues[c])}`,
      );
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(file, 'wx');
        await handle.write(`${columns.map(csvQuote).join(',')}\n`);
        for (let start = 0; start < part.count; start += ROWS_PER_CHUNK) {
          const end = Math.min(part.count, start + ROWS_PER_CHUNK);
          // One string per chunk, built by concatenation: the per-row arrays and joins cost more
          // than formatting the doubles. Class cells (prediction, predictedLabel) are looked up.
          let text = '';
          for (let r = start; r < end; r++) {
            let line = String(part.rowIds[r]!);
            if (K === 2) {
              const m = csvDouble(part.rawPrediction[2 * r + 1]!);
              line += `,${negated(m, part.rawPrediction[2 * r]!)},${m}`;
            } else for (let k = 0; k < K; k++) line += `,${csvDouble(part.rawPrediction[r * K + k]!)}`;
            for (let k = 0; k < K; k++) line += `,${csvDouble(part.probability[r * K + k]!)}`;
            const c = part.prediction[r]!;
            line += classCells[c] ?? `,${csvDouble(c)},`;
            for (const cell of cells) line += `,${cell(r)}`;
            text += `${line}\n`;
          }
          await handle.write(text);
        }
        await handle.close();
      } catch (err) {
        await handle?.close().catch(() => undefined);
        await fs.rm(file, { force: true }).catch(() => undefined);
        throw err instanceof KindlingError ? err : new OutputError(`cannot write ${file}: ${(err as Error).message}`, file, { cause: err });
      }
    },
  };
}

function partName(partition: number, ext: string): string {
  return `part-${String(partition).padStart(5, '0')}.${ext}`;
}

/** A pass-through column in the type Spark would give it (also `kindling convert`'s columns). */
export function parquetColumn(k: KeptColumn, col: ScorePartial['columns'][number]): TableColumn {
  if (col.kind === 'string') {
    return { name: k.name, type: 'string', values: Array.from(col.codes, (c) => (c < 0 ? null : col.dictionary[c]!)), nullable: true };
  }
  const nulls = col.nulls ?? new Uint8Array(col.values.length);
  switch (k.type) {
    case 'int':
      return { name: k.name, type: 'int', values: Int32Array.from(col.values, (v) => (Number.isNaN(v) ? 0 : v)), nulls };
    case 'long':
      return { name: k.name, type: 'long', values: Float64Array.from(col.values, (v) => (Number.isNaN(v) ? 0 : v)), nulls };
    case 'boolean':
      return { name: k.name, type: 'boolean', values: Array.from(col.values, (v) => v === 1), nulls };
    default:
      return { name: k.name, type: 'double', values: col.values, nulls };
  }
}

/** Cell text of a pass-through column, per row. */
function csvCells(k: KeptColumn, col: ScorePartial['columns'][number]): (r: number) => string {
  if (col.kind === 'string') {
    const quoted = col.dictionary.map(csvQuote);
    return (r) => {
      const c = col.codes[r]!;
      return c < 0 ? '' : quoted[c]!;
    };
  }
  const { values, nulls } = col;
  if (k.type === 'boolean') return (r) => (nulls?.[r] === 1 ? '' : values[r] === 1 ? 'true' : 'false');
  return (r) => (nulls?.[r] === 1 ? '' : csvDouble(values[r]!));
}

/** The text of −m given m's text (`text`) and −m itself (`value`): a sign flip for finite values. */
function negated(text: string, value: number): string {
  if (!Number.isFinite(value)) return csvDouble(value);
  return text.startsWith('-') ? text.slice(1) : `-${text}`;
}

/** Shortest round-trip text of a double; −0 keeps its sign. */
function csvDouble(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** RFC 4180: quote a field holding a comma, quote, CR or LF (quotes doubled); an empty string is `""` (empty means null). */
function csvQuote(s: string): string {
  if (s === '') return '""';
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
