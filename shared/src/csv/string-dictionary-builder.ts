/**
 * Builds the StringDictionary of one string column of one partition, for the partition
 * parser's hot loop: values arrive as byte slices of the input and get codes in first-seen
 * order, with no JS string per row (one decode per distinct value, for the statistics).
 *
 * Lookup keys are exact for short values: the first 12 bytes packed big-endian into three
 * int32 words (zero-padded) plus the length, so a value of ≤ 12 bytes is matched without a
 * byte-compare loop; longer values also compare their tail. The packing reads whole words
 * through a DataView when the input has 12 bytes to spare (packFast), bytewise otherwise.
 */
import { toSharedInt32, toSharedUint8, type CodeArray } from '../columnar/shared-arrays.js';
import type { StringDictionary } from '../columnar/string-dictionary.js';
import type { StringColumnStats } from '../tasks.js';
import { stringStats } from './batch-statistics.js';

/** Keeps the first r bytes (big-endian) of a word. */
const MASK = Int32Array.from([0, 0xff000000, 0xffff0000, 0xffffff00]);

/** Distinct values of one column, with an open-addressing table keyed by packed words. */
export class StringDictionaryBuilder {
  /** Key of the last pack/packFast: words, length and hash. */
  k0 = 0;
  k1 = 0;
  k2 = 0;
  len = 0;
  h = 0;
  /** Number of distinct values. */
  size = 0;
  /**
   * Open-addressing table, one 32-byte slot per entry so a probe touches one cache line:
   * [code (-1 = empty), hash, length, k0, k1, k2, unused, unused].
   */
  private slots: Int32Array;
  private hashes: Int32Array;
  private offsets: Int32Array;
  private bytes: Uint8Array;
  private byteLen = 0;
  private mask: number;
  private freeSlot = 0;

  constructor(initial = 64) {
    const n = 1 << Math.ceil(Math.log2(Math.max(1, initial)));
    this.hashes = new Int32Array(n);
    this.offsets = new Int32Array(n + 1);
    this.bytes = new Uint8Array(n * 8);
    this.slots = emptySlots(n * 2);
    this.mask = n * 2 - 1;
  }

  /** Sets the key of buf[s, e), reading bytewise. */
  pack(buf: Uint8Array, s: number, e: number): void {
    const len = e - s;
    let k0 = 0;
    let k1 = 0;
    let k2 = 0;
    const n = len < 12 ? len : 12;
    for (let i = 0; i < n; i++) {
      const w = buf[s + i]! << (24 - 8 * (i & 3));
      if (i < 4) k0 |= w;
      else if (i < 8) k1 |= w;
      else k2 |= w;
    }
    this.k0 = k0;
    this.k1 = k1;
    this.k2 = k2;
    this.len = len;
    this.h = this.hash(buf, s, e, k0, k1, k2, len);
  }

  /** Sets the key of buf[s, e) with word reads; needs s + 12 ≤ dv.byteLength (dv views buf). */
  packFast(dv: DataView, buf: Uint8Array, s: number, e: number): void {
    const len = e - s;
    let k0 = dv.getInt32(s);
    let k1 = dv.getInt32(s + 4);
    let k2 = dv.getInt32(s + 8);
    if (len < 12) {
      if (len < 4) {
        k0 &= MASK[len]!;
        k1 = 0;
        k2 = 0;
      } else if (len < 8) {
        k1 &= MASK[len - 4]!;
        k2 = 0;
      } else {
        k2 &= MASK[len - 8]!;
      }
    }
    this.k0 = k0;
    this.k1 = k1;
    this.k2 = k2;
    this.len = len;
    this.h = this.hash(buf, s, e, k0, k1, k2, len);
  }

  private hash(buf: Uint8Array, s: number, e: number, k0: number, k1: number, k2: number, len: number): number {
    let h = Math.imul(k0 ^ len, 0x9e3779b1) ^ Math.imul(k1, 0x85ebca77) ^ Math.imul(k2, 0xc2b2ae3d);
    for (let p = s + 12; p < e; p++) h = Math.imul(h ^ buf[p]!, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 12);
  }

  /** Code of the value whose key was just packed (buf[s, e) is that value), or -1. */
  find(buf: Uint8Array, s: number): number {
    const { k0, k1, k2, len, h } = this;
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const at = i << 3;
      const code = slots[at]!;
      if (code < 0) break;
      if (
        slots[at + 1] === h &&
        slots[at + 2] === len &&
        slots[at + 3] === k0 &&
        slots[at + 4] === k1 &&
        slots[at + 5] === k2 &&
        (len <= 12 || this.tailEquals(code, buf, s))
      ) {
        return code;
      }
      i = (i + 1) & mask;
    }
    this.freeSlot = i;
    return -1;
  }

  /** Code of buf[s, e), adding it if new (packs the key itself). */
  add(buf: Uint8Array, s: number, e: number): number {
    this.pack(buf, s, e);
    const code = this.find(buf, s);
    return code >= 0 ? code : this.insert(buf, s, e);
  }

  private tailEquals(code: number, buf: Uint8Array, s: number): boolean {
    const os = this.offsets[code]!;
    const bytes = this.bytes;
    for (let k = 12; k < this.len; k++) if (bytes[os + k] !== buf[s + k]) return false;
    return true;
  }

  /** Inserts the value just missed by find. */
  private insert(buf: Uint8Array, s: number, e: number): number {
    const code = this.size;
    if (code === this.hashes.length) {
      const n = code * 2;
      this.hashes = grow(this.hashes, n);
      this.offsets = grow(this.offsets, n + 1);
    }
    const len = e - s;
    if (this.byteLen + len > this.bytes.length) {
      const next = new Uint8Array(Math.max(this.bytes.length * 2, this.byteLen + len));
      next.set(this.bytes.subarray(0, this.byteLen));
      this.bytes = next;
    }
    this.bytes.set(buf.subarray(s, e), this.byteLen);
    this.byteLen += len;
    this.offsets[code + 1] = this.byteLen;
    this.hashes[code] = this.h;
    const at = this.freeSlot << 3;
    this.slots[at] = code;
    this.slots[at + 1] = this.h;
    this.slots[at + 2] = len;
    this.slots[at + 3] = this.k0;
    this.slots[at + 4] = this.k1;
    this.slots[at + 5] = this.k2;
    this.size = code + 1;
    if (this.size * 2 > this.mask + 1) this.rehash();
    return code;
  }

  private rehash(): void {
    const old = this.slots;
    const n = (this.mask + 1) * 2;
    const slots = emptySlots(n);
    const mask = n - 1;
    for (let at = 0; at < old.length; at += 8) {
      if (old[at]! < 0) continue;
      let i = old[at + 1]! & mask;
      while (slots[i << 3]! >= 0) i = (i + 1) & mask;
      slots.set(old.subarray(at, at + 8), i << 3);
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** The dictionary in SharedArrayBuffers, exactly sized, codes in first-seen order. */
  toShared(): StringDictionary {
    return {
      size: this.size,
      offsets: toSharedInt32(this.offsets, this.size + 1),
      bytes: toSharedUint8(this.bytes, this.byteLen),
    };
  }

  /** Value counts of a column's codes (-1 = null), for the load partial. */
  stats(codes: CodeArray, rows: number): StringColumnStats {
    return stringStats(codes, rows, this.size, this.offsets, this.bytes);
  }
}

function emptySlots(n: number): Int32Array {
  const slots = new Int32Array(n * 8);
  for (let i = 0; i < n; i++) slots[i << 3] = -1;
  return slots;
}

function grow(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
