/**
 * Reads a Parquet file of assembled features — Spark's VectorAssembler output as
 * `df.write.parquet` stores it, and Kindling's own `features/` parts — into flat arrays: the
 * label, optional row ids and weights, and every row's vector (VectorUDT: a struct of `type`
 * (0 sparse, 1 dense), `size`, `indices` and `values`). The flat-column reader
 * (parquet-partition-reader.ts) refuses nested columns on purpose; this one reads exactly the
 * VectorUDT shape and nothing else. Runs in worker threads over a partition's bytes (the row
 * groups' span followed by the footer, as partition-bytes.ts lays them out).
 *
 * Every problem is a DataError naming the file and the column (and the row where there is one).
 */
import type { ColumnChunk, FileMetaData, SchemaTree } from 'hyparquet';
import type { readColumn } from 'hyparquet/src/column.js';
import type { getTreePath } from 'hyparquet/src/schema.js';
import { DataError, KindlingError } from '../errors.js';
import type { PartitionSource } from '../tasks.js';
import { chunkStart } from './parquet-footer.js';
import { hyparquet } from './hyparquet-library.js';

type ColumnDecoder = Parameters<typeof readColumn>[2];

/** Footer key under which Kindling's features writer records the fitted pipeline (JSON). */
export const KINDLING_FEATURES_KEY = 'kindling.features';

/** Which columns hold what. */
export interface FeatureColumnNames {
  readonly features: string;
  readonly label: string;
  /** Read when the file has it; absent → row ids from the partition's first row id. */
  readonly rowId?: string;
  /** Instance weights: read when named and present. */
  readonly weight?: string;
}

/** The rows of a features file, flat. Vector r's entries are [rowStart[r], rowStart[r+1]). */
export interface FeatureRows {
  readonly numRows: number;
  readonly label: Float64Array;
  readonly rowIds: Float64Array | null;
  readonly weight: Float64Array | null;
  /** Per row: 0 sparse, 1 dense. */
  readonly type: Uint8Array;
  /** Per row: the vector's size (dense: its number of values). */
  readonly size: Int32Array;
  readonly rowStart: Int32Array;
  /** Sparse: the slot of each entry; dense rows use positions 0..size−1 (stored as such). */
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** One leaf column of the file over the partition's row groups: per entry its levels, and the defined values in order. */
interface Leaf {
  readonly rep: number[];
  readonly def: number[];
  readonly values: unknown[];
  readonly maxDef: number;
  readonly maxRep: number;
  /** Definition level at which the innermost repeated field (a list) holds an entry. */
  readonly listDef: number;
}

/**
 * The top-level column names of a features file and whether `features` is a VectorUDT-shaped
 * struct; used by the driver to check every file before any task runs. Returns a reason when
 * the file does not fit, or undefined.
 */
export function featureColumnProblem(metadata: FileMetaData, names: FeatureColumnNames): string | undefined {
  const tree = hyparquet().parquetSchema(metadata);
  const top = new Map(tree.children.map((c) => [c.element.name, c]));
  const vector = top.get(names.features);
  if (vector === undefined) return `no vector column '${names.features}' (columns: ${[...top.keys()].join(', ')})`;
  const fields = new Set(vector.children.map((c) => c.element.name));
  if (!['type', 'size', 'indices', 'values'].every((f) => fields.has(f)))
    return `column '${names.features}' is not a vector (Spark's VectorUDT: a struct of type, size, indices, values)`;
  const label = top.get(names.label);
  if (label === undefined) return `no label column '${names.label}' (columns: ${[...top.keys()].join(', ')})`;
  if (label.children.length > 0 || !isNumber(label.element.type)) return `label column '${names.label}' is not numeric`;
  // A weight column is read where a file has one (Kindling's parts have one where the block was weighted).
  const w = names.weight === undefined ? undefined : top.get(names.weight);
  if (w !== undefined && (w.children.length > 0 || !isNumber(w.element.type))) return `weight column '${names.weight}' is not numeric`;
  return undefined;
}

function isNumber(t: string | undefined): boolean {
  return t === 'DOUBLE' || t === 'FLOAT' || t === 'INT32' || t === 'INT64';
}

/** Whether the file has a top-level column `name`. */
export function hasColumn(metadata: FileMetaData, name: string): boolean {
  return hyparquet()
    .parquetSchema(metadata)
    .children.some((c) => c.element.name === name);
}

/** Reads every row of the partition's row groups. */
export function readFeatureRows(
  bytes: Uint8Array,
  source: PartitionSource,
  metadata: FileMetaData,
  names: FeatureColumnNames,
): FeatureRows {
  const tree = hyparquet().parquetSchema(metadata);
  const problem = featureColumnProblem(metadata, names);
  if (problem !== undefined) throw new DataError('E_SCHEMA', `${source.file}: ${problem}`, { file: source.file });
  const [g0, g1] = source.rowGroups ?? [0, metadata.row_groups.length];
  const groups = metadata.row_groups.slice(g0, g1);
  const numRows = groups.reduce((a, g) => a + Number(g.num_rows), 0);
  const leaf = (path: string[]): Leaf => readLeaf(bytes, source, tree, groups, g0, path);
  const f = names.features;

  const label = flatNumbers(leaf([names.label]), numRows, source.file, names.label, false)!;
  const rowIds =
    names.rowId !== undefined && hasColumn(metadata, names.rowId)
      ? flatNumbers(leaf([names.rowId]), numRows, source.file, names.rowId, false)
      : null;
  const weight =
    names.weight !== undefined && hasColumn(metadata, names.weight)
      ? flatNumbers(leaf([names.weight]), numRows, source.file, names.weight, false)
      : null;

  const typeLeaf = leaf([f, 'type']);
  const sizeLeaf = leaf([f, 'size']);
  const indicesLeaf = leaf([f, 'indices', 'list', 'element']);
  const valuesLeaf = leaf([f, 'values', 'list', 'element']);
  if (typeLeaf.def.length !== numRows) throw badShape(source.file, `${f}.type`, `${typeLeaf.def.length} entries for ${numRows} rows`);
  const type = new Uint8Array(numRows);
  const size = new Int32Array(numRows).fill(-1);
  let tv = 0;
  for (let r = 0; r < numRows; r++) {
    if (typeLeaf.def[r]! < typeLeaf.maxDef)
      throw new DataError('E_INVALID_VALUE', `${where(source, rowIds, r)}: column '${f}' is null`, {
        file: source.file,
        column: f,
        row: r,
      });
    const t = Number(typeLeaf.values[tv++]);
    if (t !== 0 && t !== 1)
      throw new DataError('E_SCHEMA', `${where(source, rowIds, r)}: column '${f}' has vector type ${t} (0 sparse or 1 dense expected)`, {
        file: source.file,
        column: f,
      });
    type[r] = t;
  }
  let sv = 0;
  if (sizeLeaf.def.length !== numRows) throw badShape(source.file, `${f}.size`, `${sizeLeaf.def.length} entries for ${numRows} rows`);
  for (let r = 0; r < numRows; r++) if (sizeLeaf.def[r] === sizeLeaf.maxDef) size[r] = Number(sizeLeaf.values[sv++]);

  const idx = lists(indicesLeaf, numRows, source.file, `${f}.indices`);
  const val = lists(valuesLeaf, numRows, source.file, `${f}.values`);
  const rowStart = new Int32Array(numRows + 1);
  let total = 0;
  for (let r = 0; r < numRows; r++) total += val.count[r]!;
  const indices = new Int32Array(total);
  const values = new Float64Array(total);
  let at = 0;
  let ii = 0;
  let vi = 0;
  for (let r = 0; r < numRows; r++) {
    rowStart[r] = at;
    const n = val.count[r]!;
    if (val.isNull[r] === 1)
      throw new DataError('E_INVALID_VALUE', `${where(source, rowIds, r)}: column '${f}' has no values`, { file: source.file, column: f });
    if (type[r] === 0) {
      if (size[r]! < 0 || idx.isNull[r] === 1 || idx.count[r] !== n) {
        throw new DataError(
          'E_INVALID_VALUE',
          `${where(source, rowIds, r)}: column '${f}' is a sparse vector without a size or with ${idx.count[r]} indices for ${n} values`,
          { file: source.file, column: f },
        );
      }
      let last = -1;
      for (let k = 0; k < n; k++) {
        const j = Number(idx.values[ii++]);
        if (!(j > last && j < size[r]!)) {
          throw new DataError(
            'E_INVALID_VALUE',
            `${where(source, rowIds, r)}: column '${f}' has index ${j} out of order or outside 0..${size[r]! - 1}`,
            { file: source.file, column: f },
          );
        }
        last = j;
        indices[at + k] = j;
        values[at + k] = Number(val.values[vi++]);
      }
    } else {
      ii += idx.isNull[r] === 1 ? 0 : idx.count[r]!;
      size[r] = n;
      for (let k = 0; k < n; k++) {
        indices[at + k] = k;
        values[at + k] = Number(val.values[vi++]);
      }
    }
    at += n;
  }
  rowStart[numRows] = at;
  return { numRows, label, rowIds, weight, type, size, rowStart, indices, values };
}

/** The file and row (by id when the file has row ids) for a message. */
export function where(source: PartitionSource, rowIds: Float64Array | null, r: number): string {
  return rowIds !== null ? `${source.file}, row id ${rowIds[r]}` : `${source.file}, row ${r + 1}`;
}

function badShape(file: string, column: string, what: string): DataError {
  return new DataError('E_INPUT_FORMAT', `${file}: column ${column}: ${what}`, { file, column });
}

/** A flat numeric column: nulls are an error (or NaN when `nullable`). */
function flatNumbers(leaf: Leaf, numRows: number, file: string, column: string, nullable: boolean): Float64Array | null {
  if (leaf.def.length !== numRows) throw badShape(file, column, `${leaf.def.length} entries for ${numRows} rows`);
  const out = new Float64Array(numRows);
  let k = 0;
  for (let r = 0; r < numRows; r++) {
    if (leaf.def[r]! < leaf.maxDef) {
      if (!nullable) throw new DataError('E_INVALID_VALUE', `${file}, row ${r + 1}: column '${column}' is null`, { file, column, row: r });
      out[r] = NaN;
      continue;
    }
    out[r] = Number(leaf.values[k++]);
  }
  return out;
}

/** Per row of a list leaf: null or not, and its element count; elements must not be null. */
function lists(leaf: Leaf, numRows: number, file: string, column: string): { isNull: Uint8Array; count: Int32Array; values: unknown[] } {
  const isNull = new Uint8Array(numRows);
  const count = new Int32Array(numRows);
  let r = -1;
  for (let e = 0; e < leaf.def.length; e++) {
    if (leaf.rep[e] === 0) r++;
    if (r >= numRows) throw badShape(file, column, `more lists than the ${numRows} rows`);
    const d = leaf.def[e]!;
    if (d >= leaf.listDef) {
      if (d < leaf.maxDef)
        throw new DataError('E_INVALID_VALUE', `${file}, row ${r + 1}: column '${column}' holds a null element`, { file, column });
      count[r]!++;
    } else if (d < leaf.listDef - 1) {
      isNull[r] = 1;
    }
  }
  if (r + 1 !== numRows) throw badShape(file, column, `${r + 1} lists for ${numRows} rows`);
  return { isNull, count, values: leaf.values };
}

function readLeaf(
  bytes: Uint8Array,
  source: PartitionSource,
  tree: SchemaTree,
  groups: FileMetaData['row_groups'],
  g0: number,
  path: string[],
): Leaf {
  const { getMaxDefinitionLevel, getMaxRepetitionLevel, getTreePath } = hyparquet();
  const schemaPath = getTreePath(tree, path);
  const column = path.join('.');
  if (schemaPath.length !== path.length + 1 || schemaPath[schemaPath.length - 1]!.children.length > 0) {
    throw new DataError('E_SCHEMA', `${source.file}: no leaf column ${column} (not a VectorUDT written the way Spark writes it)`, {
      file: source.file,
      column,
    });
  }
  const maxDef = getMaxDefinitionLevel(schemaPath);
  const maxRep = getMaxRepetitionLevel(schemaPath);
  let listDef = maxDef;
  let defs = 0;
  for (const node of schemaPath.slice(1)) {
    if (node.element.repetition_type !== 'REQUIRED') defs++;
    if (node.element.repetition_type === 'REPEATED') listDef = defs;
  }
  const out: Leaf = { rep: [], def: [], values: [], maxDef, maxRep, listDef };
  for (const [k, g] of groups.entries()) {
    const chunk = g.columns.find((c) => c.meta_data?.path_in_schema.join('.') === column);
    if (!chunk)
      throw new DataError('E_INPUT_FORMAT', `${source.file}: row group ${g0 + k} has no column ${column}`, { file: source.file, column });
    decodeLeafChunk(bytes, source, schemaPath, chunk, out, g0 + k);
  }
  return out;
}

function decodeLeafChunk(
  bytes: Uint8Array,
  source: PartitionSource,
  schemaPath: ReturnType<typeof getTreePath>,
  chunk: ColumnChunk,
  out: Leaf,
  group: number,
): void {
  const { compressors, convert, decompressPage, DEFAULT_PARSERS, parquetHeader, readDataPage, readDataPageV2, readPlain } = hyparquet();
  const meta = chunk.meta_data!;
  const column = meta.path_in_schema.join('.');
  const start = chunkStart(chunk) - source.start;
  const length = Number(meta.total_compressed_size);
  if (start < 0 || start + length > source.end - source.start) {
    throw new DataError('E_INPUT_FORMAT', `${source.file}: column chunk ${column} of row group ${group} lies outside the partition`, {
      file: source.file,
    });
  }
  const element = schemaPath[schemaPath.length - 1]!.element;
  const decoder: ColumnDecoder = {
    pathInSchema: meta.path_in_schema,
    element,
    schemaPath,
    type: meta.type,
    codec: meta.codec,
    compressors,
    parsers: { ...DEFAULT_PARSERS },
    utf8: true,
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, length);
  const reader = { view, offset: 0 };
  let dictionary: ArrayLike<unknown> = [];
  try {
    while (reader.offset < length) {
      const header = parquetHeader(reader);
      const compressed = new Uint8Array(view.buffer, view.byteOffset + reader.offset, header.compressed_page_size);
      reader.offset += header.compressed_page_size;
      if (header.type === 'DICTIONARY_PAGE') {
        const page = decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, compressors);
        const plain = readPlain(
          { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 },
          meta.type,
          header.dictionary_page_header!.num_values,
          element.type_length,
        );
        dictionary = convert(plain, decoder);
        continue;
      }
      let r: { definitionLevels?: ArrayLike<number>; repetitionLevels?: ArrayLike<number>; dataPage: ArrayLike<unknown> };
      let encoding: string;
      let numValues: number;
      if (header.type === 'DATA_PAGE') {
        const page = decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, compressors);
        r = readDataPage(page, header.data_page_header!, decoder);
        encoding = header.data_page_header!.encoding;
        numValues = header.data_page_header!.num_values;
      } else if (header.type === 'DATA_PAGE_V2') {
        r = readDataPageV2(compressed, header, decoder);
        encoding = header.data_page_header_v2!.encoding;
        numValues = header.data_page_header_v2!.num_values;
      } else {
        continue;
      }
      const def = r.definitionLevels ?? [];
      const rep = r.repetitionLevels ?? [];
      for (let i = 0; i < numValues; i++) {
        out.def.push(def.length > 0 ? def[i]! : out.maxDef);
        out.rep.push(rep.length > 0 ? rep[i]! : 0);
      }
      const data = encoding.endsWith('_DICTIONARY')
        ? Array.from(r.dataPage as ArrayLike<number>, (e) => dictionary[e])
        : convert(r.dataPage as never, decoder);
      for (let i = 0; i < data.length; i++) out.values.push(data[i]);
    }
  } catch (err) {
    if (err instanceof KindlingError) throw err;
    throw new DataError(
      'E_INPUT_FORMAT',
      `${source.file}: cannot decode column ${column} of row group ${group} (${meta.codec}): ${(err as Error).message}`,
      { file: source.file, column, rowGroup: group },
      { cause: err },
    );
  }
}
