/**
 * Turns row objects into Parquet columns (Dremel shredding: values plus definition and
 * repetition levels per leaf) for parquet-file-writer.ts, and translates parquetjs-style schema
 * definitions (`{ x: { type: 'INT64', optional: true }, v: { fields: … } }`) into its schema
 * nodes. spark-parquet.ts's writeParquetFile uses both for the model and features files, whose
 * rows have nested structs and lists; shredding follows parquetjs's rules, so rows that
 * parquetjs accepted produce the same levels and values.
 */
import type { FieldDefinition, SchemaDefinition } from '@dsnp/parquetjs';
import { KindlingError, OutputError } from '@kindling/shared/compute';
import type { ParquetColumnData, ParquetNode, ParquetPhysicalType } from './parquet-file-writer.js';

/**
 * Translates a parquetjs schema definition into schema nodes. Supported: BOOLEAN, INT32, INT64,
 * DOUBLE, INT_8, groups (`fields`) and LIST groups; anything else is an E_INTERNAL error.
 */
export function parquetNodesFromDefinition(schema: SchemaDefinition, where: string): ParquetNode[] {
  const convert = (name: string, field: FieldDefinition, path: string): ParquetNode => {
    const repetition = field.repeated === true ? 'REPEATED' : field.optional === true ? 'OPTIONAL' : 'REQUIRED';
    if (field.fields !== undefined) {
      if (field.type !== undefined && field.type !== 'LIST') unsupported(`${path} is a group of type ${field.type}`);
      const children = Object.entries(field.fields).map(([child, def]) => convert(child, def, `${path}.${child}`));
      return { name, repetition, children, ...(field.type === 'LIST' ? { annotation: 'LIST' as const } : {}) };
    }
    const compression = field.compression ?? 'UNCOMPRESSED';
    if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP' && compression !== 'SNAPPY') {
      return unsupported(`${path} uses compression ${compression}`);
    }
    const common = { name, repetition, compression, ...(field.statistics === false ? { statistics: false } : {}) } as const;
    switch (field.type) {
      case 'BOOLEAN':
      case 'INT32':
      case 'INT64':
      case 'DOUBLE':
        return { ...common, type: field.type };
      case 'INT_8':
        return { ...common, type: 'INT32', annotation: 'INT_8' };
      default:
        return unsupported(`${path} has type ${String(field.type)}`);
    }
  };
  const unsupported = (message: string): never => {
    throw new KindlingError('E_INTERNAL', `invalid Parquet schema for ${where}: ${message}`, { file: where });
  };
  return Object.entries(schema).map(([name, field]) => convert(name, field, name));
}

interface ShredNode {
  readonly name: string;
  readonly path: string;
  readonly required: boolean;
  readonly repeated: boolean;
  /** Definition level when a value is present here. */
  readonly definitionLevel: number;
  /** Repetition level of this field's second and later values. */
  readonly repetitionLevel: number;
  readonly children?: readonly ShredNode[];
  /** Leaf column index (leaves only). */
  readonly leaf: number;
  /** Index range of the leaves below (or at) this node. */
  readonly firstLeaf: number;
  readonly endLeaf: number;
  readonly type?: ParquetPhysicalType;
  readonly int8: boolean;
}

interface LeafBuffer {
  values: (number | bigint | boolean)[];
  definitionLevels: number[];
  repetitionLevels: number[];
}

/** Accumulates shredded rows for one row group at a time. */
export class RecordShredder {
  private readonly roots: ShredNode[];
  private readonly leaves: { maxDef: number; maxRep: number }[] = [];
  private buffers: LeafBuffer[] = [];
  private rows = 0;
  private rowsSeen = 0;
  /** Buffer lengths before the row being added (values, levels per leaf), to undo a failed row. */
  private readonly marks: Float64Array;

  /** `file` names the output in errors. */
  constructor(
    schema: readonly ParquetNode[],
    private readonly file: string,
  ) {
    const build = (node: ParquetNode, parentPath: string, def: number, rep: number): ShredNode => {
      const path = parentPath === '' ? node.name : `${parentPath}.${node.name}`;
      const d = node.repetition === 'REQUIRED' ? def : def + 1;
      const r = node.repetition === 'REPEATED' ? rep + 1 : rep;
      const firstLeaf = this.leaves.length;
      const base = {
        name: node.name,
        path,
        required: node.repetition === 'REQUIRED',
        repeated: node.repetition === 'REPEATED',
        definitionLevel: d,
        repetitionLevel: r,
        int8: node.annotation === 'INT_8',
      };
      if (node.children !== undefined) {
        const children = node.children.map((child) => build(child, path, d, r));
        return { ...base, children, leaf: -1, firstLeaf, endLeaf: this.leaves.length };
      }
      this.leaves.push({ maxDef: d, maxRep: r });
      return { ...base, leaf: firstLeaf, firstLeaf, endLeaf: firstLeaf + 1, ...(node.type !== undefined ? { type: node.type } : {}) };
    };
    this.roots = schema.map((node) => build(node, '', 0, 0));
    this.marks = new Float64Array(2 * this.leaves.length);
    this.reset();
  }

  /** Rows added since the last take(). */
  get rowCount(): number {
    return this.rows;
  }

  /**
   * Shreds one row. A row that breaks the schema throws an OutputError naming the row (counted
   * from 0 over every add() call) and the field, and leaves the buffered rows as they were.
   */
  add(record: Record<string, unknown>): void {
    const row = this.rowsSeen++;
    const marks = this.marks;
    this.buffers.forEach((b, i) => {
      marks[2 * i] = b.values.length;
      marks[2 * i + 1] = b.definitionLevels.length;
    });
    try {
      this.fields(this.roots, record, 0, 0);
    } catch (err) {
      this.buffers.forEach((b, i) => {
        b.values.length = marks[2 * i] as number;
        b.definitionLevels.length = marks[2 * i + 1] as number;
        b.repetitionLevels.length = marks[2 * i + 1] as number;
      });
      if (err instanceof ShredError) {
        throw new OutputError(`cannot write Parquet file ${this.file}: row ${row}: ${err.message}`, this.file);
      }
      throw err;
    }
    this.rows++;
  }

  /** The buffered rows as column data for ParquetFileWriter.writeRowGroup(), and a fresh buffer. */
  take(): { numRows: number; columns: ParquetColumnData[] } {
    const columns = this.buffers.map((b, i): ParquetColumnData => {
      const leaf = this.leaves[i] as { maxDef: number; maxRep: number };
      return {
        values: b.values as ParquetColumnData['values'],
        ...(leaf.maxDef > 0 ? { definitionLevels: b.definitionLevels } : {}),
        ...(leaf.maxRep > 0 ? { repetitionLevels: b.repetitionLevels } : {}),
      };
    });
    const numRows = this.rows;
    this.reset();
    return { numRows, columns };
  }

  private reset(): void {
    this.buffers = this.leaves.map(() => ({ values: [], definitionLevels: [], repetitionLevels: [] }));
    this.rows = 0;
  }

  private fields(nodes: readonly ShredNode[], record: Record<string, unknown> | null, rep: number, def: number): void {
    for (const node of nodes) {
      const raw = record === null ? undefined : record[node.name];
      // A single value is the common case: no array is made for it.
      const many = Array.isArray(raw);
      const count = raw === undefined || raw === null ? 0 : many ? (raw as unknown[]).length : 1;
      if (count === 0) {
        if (record !== null && node.required) this.fail(`missing required field ${node.path}`);
        for (let leaf = node.firstLeaf; leaf < node.endLeaf; leaf++) {
          const b = this.buffers[leaf] as LeafBuffer;
          b.repetitionLevels.push(rep);
          b.definitionLevels.push(def);
        }
        continue;
      }
      if (count > 1 && !node.repeated) this.fail(`too many values for field ${node.path}`);
      for (let i = 0; i < count; i++) {
        const r = i === 0 ? rep : node.repetitionLevel;
        const value: unknown = many ? (raw as unknown[])[i] : raw;
        if (node.children !== undefined) {
          if (typeof value !== 'object' || value === null) this.fail(`field ${node.path} is a group, found ${String(value)}`);
          this.fields(node.children, value as Record<string, unknown>, r, node.definitionLevel);
        } else {
          const b = this.buffers[node.leaf] as LeafBuffer;
          b.values.push(this.primitive(node, value));
          b.repetitionLevels.push(r);
          b.definitionLevels.push(node.definitionLevel);
        }
      }
    }
  }

  private primitive(node: ShredNode, value: unknown): number | bigint | boolean {
    switch (node.type) {
      case 'BOOLEAN':
        if (typeof value === 'boolean') return value;
        break;
      case 'INT32':
        if (
          typeof value === 'number' &&
          Number.isInteger(value) &&
          (node.int8 ? value >= -128 && value <= 127 : value >= -2147483648 && value <= 2147483647)
        )
          return value;
        break;
      case 'INT64':
        if ((typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint') return value;
        break;
      case 'DOUBLE':
        if (typeof value === 'number') return value;
        break;
      default:
        break;
    }
    const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
    return this.fail(
      `field ${node.path}: ${text.length > 40 ? `${text.slice(0, 37)}...` : text} is not a valid ${node.int8 ? 'INT_8' : String(node.type)} value`,
    );
  }

  private fail(message: string): never {
    throw new ShredError('E_OUTPUT', message);
  }
}

/** A row that does not fit the schema; add() turns it into an OutputError with file and row. */
class ShredError extends KindlingError {}
