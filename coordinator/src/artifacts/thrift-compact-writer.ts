/**
 * A minimal encoder for Thrift's compact protocol, the encoding of every Parquet page header and
 * file footer. parquet-file-writer.ts builds those structs with it so that writing Parquet needs
 * neither the `thrift` package nor parquetjs's generated types (loading those costs ~0.3 s per
 * process). Only what Parquet metadata uses is here: structs, lists, bool, i8, i16, i32, i64 and
 * binary/string fields.
 */

/** Compact-protocol type ids (the low nibble of a field header). */
const enum CompactType {
  BooleanTrue = 1,
  BooleanFalse = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Binary = 8,
  List = 9,
  Struct = 12,
}

/** Element type of a list written with ThriftCompactWriter.list(). */
export type ThriftListElement = 'i32' | 'string' | 'struct';

/**
 * Appends compact-protocol bytes to a growing buffer. Structs nest: beginStruct() opens a field
 * id scope (deltas are taken from the last field of the same struct) and endStruct() closes it.
 */
export class ThriftCompactWriter {
  private buffer = Buffer.allocUnsafe(256);
  private length = 0;
  private lastFieldId = 0;
  private readonly fieldIdStack: number[] = [];

  /** The bytes written so far (a copy, so the writer may be reused). */
  bytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  /** Opens a struct value (top level, list element or after a struct field header). */
  beginStruct(): this {
    this.fieldIdStack.push(this.lastFieldId);
    this.lastFieldId = 0;
    return this;
  }

  /** Writes the stop byte and returns to the enclosing struct's field ids. */
  endStruct(): this {
    this.byte(0);
    this.lastFieldId = this.fieldIdStack.pop() ?? 0;
    return this;
  }

  /** An i32 field (also used for Thrift enums). */
  i32(id: number, value: number): this {
    this.fieldHeader(id, CompactType.I32);
    this.varint(zigzag32(value));
    return this;
  }

  /** An i16 field. */
  i16(id: number, value: number): this {
    this.fieldHeader(id, CompactType.I16);
    this.varint(zigzag32(value));
    return this;
  }

  /** An i8 field. */
  i8(id: number, value: number): this {
    this.fieldHeader(id, CompactType.Byte);
    this.byte(value & 0xff);
    return this;
  }

  /** An i64 field; `value` must be a safe integer or a bigint. */
  i64(id: number, value: number | bigint): this {
    this.fieldHeader(id, CompactType.I64);
    const big = BigInt(value);
    let z = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
    while (z >= 0x80n) {
      this.byte(Number(z & 0x7fn) | 0x80);
      z >>= 7n;
    }
    this.byte(Number(z));
    return this;
  }

  /** A bool field (the value lives in the field header). */
  bool(id: number, value: boolean): this {
    this.fieldHeader(id, value ? CompactType.BooleanTrue : CompactType.BooleanFalse);
    return this;
  }

  /** A binary field. */
  binary(id: number, value: Uint8Array): this {
    this.fieldHeader(id, CompactType.Binary);
    this.varint(value.length);
    this.raw(value);
    return this;
  }

  /** A string field (UTF-8). */
  string(id: number, value: string): this {
    return this.binary(id, Buffer.from(value, 'utf8'));
  }

  /** A struct field: writes the header, then `body` writes the fields; the stop byte follows. */
  struct(id: number, body: (w: this) => void): this {
    this.fieldHeader(id, CompactType.Struct);
    this.beginStruct();
    body(this);
    return this.endStruct();
  }

  /**
   * A list field of `count` elements; `element(i)` writes element i: for 'i32' and 'string'
   * lists through the given writer methods, for 'struct' lists as a whole struct body.
   */
  list(id: number, type: ThriftListElement, count: number, element: (w: this, i: number) => void): this {
    this.fieldHeader(id, CompactType.List);
    const elementType = type === 'i32' ? CompactType.I32 : type === 'string' ? CompactType.Binary : CompactType.Struct;
    if (count < 15) this.byte((count << 4) | elementType);
    else {
      this.byte(0xf0 | elementType);
      this.varint(count);
    }
    for (let i = 0; i < count; i++) {
      if (type === 'struct') {
        this.beginStruct();
        element(this, i);
        this.endStruct();
      } else element(this, i);
    }
    return this;
  }

  /** A bare i32 list element. */
  i32Element(value: number): this {
    this.varint(zigzag32(value));
    return this;
  }

  /** A bare string list element. */
  stringElement(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    this.varint(bytes.length);
    this.raw(bytes);
    return this;
  }

  private fieldHeader(id: number, type: CompactType): void {
    const delta = id - this.lastFieldId;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.varint(zigzag32(id));
    }
    this.lastFieldId = id;
  }

  /** Unsigned LEB128 of a non-negative value below 2^53. */
  private varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }

  private byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Zigzag encoding of a 32-bit signed integer, as an unsigned number. */
function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}
