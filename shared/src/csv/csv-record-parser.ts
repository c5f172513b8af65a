/**
 * Byte-level CSV record tokenizer: the hot path under the partition parser, the header
 * reader and the split planner's speculative parses. It walks a Uint8Array and reports each
 * record's field spans (no strings are built); fields whose quotes need unescaping are copied
 * into a scratch buffer. Also holds CsvBoundaryScanner, the resumable one-byte-at-a-time form
 * of the same grammar that the planner streams through when speculation is undecided.
 *
 * Grammar (RFC 4180 plus Spark's reader options):
 * - Records end at LF, CRLF or a bare CR outside quotes; the last record may lack one.
 *   Blank lines (a terminator right at a record start) are skipped, as Spark does.
 * - A field starting with `quote` is quoted: it may hold delimiters, quotes and line breaks.
 *   With escape = quote (the default) a doubled quote is one quote; with another escape
 *   character (e.g. `\`) that character makes the next byte literal.
 * - A quote inside an unquoted field is an ordinary character (Spark keeps `5'10"` as is).
 * - A character right after a closing quote (`"ab"c`) is malformed (`REC_BAD_QUOTE`); the
 *   field then keeps the text as `ab"c`. A quoted field still open at the end of the input is
 *   malformed (`REC_UNTERMINATED`).
 * - Line numbers count LF, CRLF and bare CR as one line break each, inside quotes too.
 */
import type { CsvByteOptions } from './csv-options.js';

/** Line feed byte. */
export const LF = 0x0a;
/** Carriage return byte. */
export const CR = 0x0d;

/**
 * Offset just past the record terminator at buf[p] (LF, CRLF or a bare CR), or -1 when
 * buf[p] is none. The one reading of the grammar's three terminators: the tokenizer and the
 * partition parser's fast paths call it once per record, and it is small enough to inline.
 */
export function lineBreakEnd(buf: Uint8Array, p: number, end: number): number {
  const b = buf[p];
  if (b === LF) return p + 1;
  if (b !== CR) return -1;
  return p + 1 < end && buf[p + 1] === LF ? p + 2 : p + 1;
}

/** Record status bit: a quoted field is still open at the end of the input. */
export const REC_UNTERMINATED = 1;
/** Record status bit: a character other than delimiter/line break follows a closing quote. */
export const REC_BAD_QUOTE = 2;

/** Field flag: the field was quoted. */
export const FIELD_QUOTED = 1;
/** Field flag: the field's content lives in `scratch` (escapes removed), not in the input. */
export const FIELD_SCRATCH = 2;

/**
 * Tokenizes records one at a time. After a successful `next`, fields 0…fieldCount-1 are
 * described by starts/ends/flags: the content is `input[starts[i], ends[i])`, or
 * `scratch[starts[i], ends[i])` when flags[i] has FIELD_SCRATCH.
 */
export class CsvRecordReader {
  private readonly delim: number;
  private readonly quote: number;
  private readonly escape: number;
  private readonly escapeIsQuote: boolean;
  /** Start offset of each field's content. */
  starts: Int32Array = new Int32Array(64);
  /** End offset (exclusive) of each field's content. */
  ends: Int32Array = new Int32Array(64);
  /** FIELD_* bits per field. */
  flags: Uint8Array = new Uint8Array(64);
  /** Fields of the last record. */
  fieldCount = 0;
  /** Unescaped field contents of the last record. */
  scratch: Uint8Array = new Uint8Array(1024);
  private scratchLen = 0;
  /** Offset of the last record's first byte. */
  recordStart = 0;
  /** 1-based line (relative to where counting started) of the last record's first byte. */
  recordLine = 1;
  /** REC_* bits of the last record. */
  status = 0;
  /** Index of the field where the first REC_* problem occurred. */
  problemField = -1;
  /** Line of the next unread byte; starts at 1. */
  line = 1;

  constructor(opts: CsvByteOptions) {
    this.delim = opts.delimiter;
    this.quote = opts.quote;
    this.escape = opts.escape;
    this.escapeIsQuote = opts.escape === opts.quote;
  }

  /**
   * Reads the next record of buf[pos, end), skipping blank lines. Returns the offset just past
   * the record's terminator (or `end`), or -1 when only blank lines remain.
   */
  next(buf: Uint8Array, pos: number, end: number): number {
    let line = this.line;
    while (pos < end) {
      const after = lineBreakEnd(buf, pos, end);
      if (after < 0) break;
      line++;
      pos = after;
    }
    this.line = line;
    if (pos >= end) return -1;
    this.recordStart = pos;
    this.recordLine = line;
    this.status = 0;
    this.problemField = -1;
    this.scratchLen = 0;
    return this.fields(buf, pos, end, 0, false);
  }

  /**
   * Reads the rest of a record from a position inside a quoted field (the split planner's
   * "inside quotes" hypothesis). The content before `pos` is unknown, so field indices count
   * from 0 at `pos`. Returns the offset past the record's terminator or `end`.
   */
  resumeInQuotes(buf: Uint8Array, pos: number, end: number): number {
    this.recordStart = pos;
    this.recordLine = this.line;
    this.status = 0;
    this.problemField = -1;
    this.scratchLen = 0;
    return this.fields(buf, pos, end, 0, true);
  }

  /** Parses fields from a field start until the record ends; `inQuotes`: pos is inside a quoted field. */
  private fields(buf: Uint8Array, pos: number, end: number, nf: number, inQuotes: boolean): number {
    const delim = this.delim;
    const quote = this.quote;
    let starts = this.starts;
    let ends = this.ends;
    let flags = this.flags;
    for (;;) {
      if (nf === starts.length) {
        this.grow();
        starts = this.starts;
        ends = this.ends;
        flags = this.flags;
      }
      if (inQuotes || (pos < end && buf[pos] === quote)) {
        pos = this.quoted(buf, inQuotes ? pos : pos + 1, end, nf);
        inQuotes = false;
        nf++;
        if (pos >= end) break;
        if (buf[pos] === delim) {
          pos++;
          continue;
        }
        // quoted() stops only at a delimiter, a line break or the end.
        pos = lineBreakEnd(buf, pos, end);
        this.line++;
        break;
      }
      const s = pos;
      let c = 0;
      while (pos < end) {
        c = buf[pos]!;
        if (c === delim || c === LF || c === CR) break;
        pos++;
      }
      starts[nf] = s;
      ends[nf] = pos;
      flags[nf] = 0;
      nf++;
      if (pos >= end) break;
      if (c === delim) {
        pos++;
        continue;
      }
      pos = lineBreakEnd(buf, pos, end);
      this.line++;
      break;
    }
    this.fieldCount = nf;
    return pos;
  }

  /**
   * Parses a quoted field whose content starts at `pos` (just after the opening quote). Fills
   * field `nf` and returns the offset of the byte after the field (delimiter, terminator or end).
   */
  private quoted(buf: Uint8Array, pos: number, end: number, nf: number): number {
    const quote = this.quote;
    const escape = this.escape;
    const escapeIsQuote = this.escapeIsQuote;
    let line = this.line;
    let seg = pos;
    let inScratch = false;
    let scratchStart = 0;
    for (;;) {
      let c = 0;
      while (pos < end) {
        c = buf[pos]!;
        if (c === quote || c === escape) break;
        if (c === LF) line++;
        else if (c === CR && (pos + 1 >= end || buf[pos + 1] !== LF)) line++;
        pos++;
      }
      if (pos >= end) {
        // Still inside quotes at the end of the input.
        this.line = line;
        this.setProblem(REC_UNTERMINATED, nf);
        return this.finishQuoted(buf, seg, pos, nf, inScratch, scratchStart, pos);
      }
      if (c === quote) {
        if (escapeIsQuote && pos + 1 < end && buf[pos + 1] === quote) {
          // Doubled quote: keep one.
          if (!inScratch) {
            inScratch = true;
            scratchStart = this.scratchLen;
          }
          this.appendScratch(buf, seg, pos + 1);
          pos += 2;
          seg = pos;
          continue;
        }
        // Closing quote.
        this.line = line;
        const after = pos + 1;
        if (after >= end) return this.finishQuoted(buf, seg, pos, nf, inScratch, scratchStart, after);
        const n = buf[after]!;
        if (n === this.delim || n === LF || n === CR) {
          return this.finishQuoted(buf, seg, pos, nf, inScratch, scratchStart, after);
        }
        // Text after the closing quote: malformed; keep it (with the quote) up to the field end.
        this.setProblem(REC_BAD_QUOTE, nf);
        let e = after;
        while (e < end) {
          const b = buf[e]!;
          if (b === this.delim || b === LF || b === CR) break;
          e++;
        }
        if (!inScratch) {
          inScratch = true;
          scratchStart = this.scratchLen;
        }
        this.appendScratch(buf, seg, e);
        return this.finishQuoted(buf, e, e, nf, true, scratchStart, e);
      }
      // Escape character (different from the quote): the next byte is literal.
      if (!inScratch) {
        inScratch = true;
        scratchStart = this.scratchLen;
      }
      this.appendScratch(buf, seg, pos);
      pos++;
      if (pos >= end) {
        this.line = line;
        this.setProblem(REC_UNTERMINATED, nf);
        return this.finishQuoted(buf, pos, pos, nf, true, scratchStart, pos);
      }
      const lit = buf[pos]!;
      if (lit === LF) line++;
      else if (lit === CR && (pos + 1 >= end || buf[pos + 1] !== LF)) line++;
      seg = pos;
      pos++;
    }
  }

  private finishQuoted(
    buf: Uint8Array,
    seg: number,
    segEnd: number,
    nf: number,
    inScratch: boolean,
    scratchStart: number,
    ret: number,
  ): number {
    if (inScratch) {
      this.appendScratch(buf, seg, segEnd);
      this.starts[nf] = scratchStart;
      this.ends[nf] = this.scratchLen;
      this.flags[nf] = FIELD_QUOTED | FIELD_SCRATCH;
    } else {
      this.starts[nf] = seg;
      this.ends[nf] = segEnd;
      this.flags[nf] = FIELD_QUOTED;
    }
    return ret;
  }

  private setProblem(bit: number, nf: number): void {
    if (this.status === 0) this.problemField = nf;
    this.status |= bit;
  }

  private appendScratch(buf: Uint8Array, s: number, e: number): void {
    const n = e - s;
    if (n <= 0) return;
    if (this.scratchLen + n > this.scratch.length) {
      const next = new Uint8Array(Math.max(this.scratch.length * 2, this.scratchLen + n));
      next.set(this.scratch.subarray(0, this.scratchLen));
      this.scratch = next;
    }
    this.scratch.set(buf.subarray(s, e), this.scratchLen);
    this.scratchLen += n;
  }

  private grow(): void {
    const n = this.starts.length * 2;
    const s = new Int32Array(n);
    s.set(this.starts);
    const e = new Int32Array(n);
    e.set(this.ends);
    const f = new Uint8Array(n);
    f.set(this.flags);
    this.starts = s;
    this.ends = e;
    this.flags = f;
  }
}

/** True when an unquoted field of the last record contains the quote character. */
export function recordHasStrayQuote(reader: CsvRecordReader, buf: Uint8Array, quote: number): boolean {
  for (let i = 0; i < reader.fieldCount; i++) {
    if ((reader.flags[i]! & FIELD_QUOTED) !== 0) continue;
    const e = reader.ends[i]!;
    for (let p = reader.starts[i]!; p < e; p++) if (buf[p] === quote) return true;
  }
  return false;
}

const S_FIELD_START = 0;
const S_UNQUOTED = 1;
const S_IN_QUOTES = 2;
const S_QUOTE_SEEN = 3;
const S_ESCAPED = 4;
const S_AFTER_CR = 5;

/**
 * The record-boundary part of the grammar above as a resumable state machine, fed one chunk
 * at a time with constant memory: it finds record starts in a stream without holding records.
 * Used by the split planner's exact sequential fallback; must agree with CsvRecordReader.
 */
export class CsvBoundaryScanner {
  private state = S_FIELD_START;
  private readonly delim: number;
  private readonly quote: number;
  private readonly escape: number;
  private readonly escapeIsQuote: boolean;

  constructor(opts: CsvByteOptions) {
    this.delim = opts.delimiter;
    this.quote = opts.quote;
    this.escape = opts.escape;
    this.escapeIsQuote = opts.escape === opts.quote;
  }

  /** True when the bytes fed so far end inside a quoted field. */
  get inQuotes(): boolean {
    return this.state === S_IN_QUOTES || this.state === S_ESCAPED;
  }

  /**
   * Feeds `chunk`, whose first byte is at absolute offset `base`, starting at a record start
   * or where the previous chunk ended. Returns the first record start ≥ `target` found
   * (possibly `base + chunk.length`), or -1. After a hit the scanner stands at that record
   * start: to go on, feed again from the returned offset.
   */
  feed(chunk: Uint8Array, base: number, target: number): number {
    const { delim, quote, escape, escapeIsQuote } = this;
    let state = this.state;
    const n = chunk.length;
    let found = -1;
    for (let i = 0; i < n; i++) {
      const c = chunk[i]!;
      if (state === S_AFTER_CR) {
        if (c === LF) {
          state = S_FIELD_START;
          if (base + i + 1 >= target) {
            found = base + i + 1;
            break;
          }
          continue;
        }
        state = S_FIELD_START;
        if (base + i >= target) {
          found = base + i;
          break;
        }
      }
      switch (state) {
        case S_FIELD_START:
        case S_UNQUOTED:
          if (c === LF) {
            state = S_FIELD_START;
            if (base + i + 1 >= target) {
              found = base + i + 1;
              i = n;
            }
          } else if (c === CR) {
            state = S_AFTER_CR;
          } else if (c === delim) {
            state = S_FIELD_START;
          } else if (state === S_FIELD_START && c === quote) {
            state = S_IN_QUOTES;
          } else {
            state = S_UNQUOTED;
          }
          break;
        case S_IN_QUOTES:
          if (c === quote) state = S_QUOTE_SEEN;
          else if (c === escape) state = S_ESCAPED;
          break;
        case S_ESCAPED:
          state = S_IN_QUOTES;
          break;
        default: // S_QUOTE_SEEN
          if (c === quote && escapeIsQuote) {
            state = S_IN_QUOTES;
          } else if (c === LF) {
            state = S_FIELD_START;
            if (base + i + 1 >= target) {
              found = base + i + 1;
              i = n;
            }
          } else if (c === CR) {
            state = S_AFTER_CR;
          } else {
            // Delimiter: next field; anything else: malformed text kept as unquoted.
            state = c === delim ? S_FIELD_START : S_UNQUOTED;
          }
      }
    }
    this.state = state;
    return found;
  }

  /** At end of input: the offset where a record would start if the input ended in a CR, else -1. */
  finish(eofOffset: number): number {
    return this.state === S_AFTER_CR ? eofOffset : -1;
  }
}
