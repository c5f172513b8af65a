/**
 * CSV reader options: defaults and validation. The job-spec parser (coordinator) resolves a
 * user's partial options here before any work starts, so the planner and the parsers can
 * assume one-byte delimiter/quote/escape characters. Also turns the options into the byte
 * codes the byte-level parser compares against.
 */
import { JobSpecError } from '../errors.js';
import { DEFAULT_CSV_OPTIONS, type CsvOptions, type ParseMode } from '../tasks.js';

const MODES: readonly ParseMode[] = ['FAILFAST', 'DROPMALFORMED', 'PERMISSIVE'];

/** The options as bytes, as the byte-level parser uses them. */
export interface CsvByteOptions {
  readonly delimiter: number;
  readonly quote: number;
  readonly escape: number;
  /** UTF-8 bytes of nullValue. */
  readonly nullValue: Uint8Array;
}

/**
 * Checks options; throws JobSpecError naming the bad field as `<pathPrefix>.<option>`.
 * delimiter, quote and escape must each be exactly one single-byte (ASCII) character other
 * than CR and LF, and delimiter must differ from quote.
 */
export function validateCsvOptions(o: CsvOptions, pathPrefix = 'input'): void {
  const at = (k: string): string => `${pathPrefix}.${k}`;
  for (const k of ['header', 'inferSchema'] as const) {
    if (typeof o[k] !== 'boolean') throw new JobSpecError(`${at(k)} must be true or false, got ${show(o[k])}`, at(k));
  }
  for (const k of ['delimiter', 'quote', 'escape'] as const) {
    const v: unknown = o[k];
    if (typeof v !== 'string' || v.length !== 1) {
      throw new JobSpecError(`${at(k)} must be exactly one character, got ${show(v)}`, at(k));
    }
    const code = v.charCodeAt(0);
    if (code >= 0x80) {
      throw new JobSpecError(`${at(k)} must be a single-byte (ASCII) character, got ${show(v)}`, at(k));
    }
    if (code === 0x0a || code === 0x0d) {
      throw new JobSpecError(`${at(k)} cannot be a line break (CR or LF)`, at(k));
    }
  }
  if (o.delimiter === o.quote) {
    throw new JobSpecError(`${at('delimiter')} and ${at('quote')} must differ (both are ${show(o.quote)})`, at('delimiter'));
  }
  if (typeof o.nullValue !== 'string') {
    throw new JobSpecError(`${at('nullValue')} must be a string, got ${show(o.nullValue)}`, at('nullValue'));
  }
  if (!MODES.includes(o.mode)) {
    throw new JobSpecError(`${at('mode')} must be one of ${MODES.join(', ')}, got ${show(o.mode)}`, at('mode'));
  }
}

/**
 * Fills unset options from DEFAULT_CSV_OPTIONS and validates the result. Two conveniences:
 * an unset `escape` follows `quote` (so `quote: "'"` alone means RFC 4180 doubling of `'`),
 * and the two-character spelling `\t` means a tab, as in Spark.
 */
export function resolveCsvOptions(partial: Partial<CsvOptions> = {}, pathPrefix = 'input'): CsvOptions {
  const quote = unescapeTab(partial.quote ?? DEFAULT_CSV_OPTIONS.quote);
  const resolved: CsvOptions = {
    header: partial.header ?? DEFAULT_CSV_OPTIONS.header,
    delimiter: unescapeTab(partial.delimiter ?? DEFAULT_CSV_OPTIONS.delimiter),
    quote,
    escape: unescapeTab(partial.escape ?? quote),
    nullValue: partial.nullValue ?? DEFAULT_CSV_OPTIONS.nullValue,
    mode: partial.mode ?? DEFAULT_CSV_OPTIONS.mode,
    inferSchema: partial.inferSchema ?? DEFAULT_CSV_OPTIONS.inferSchema,
  };
  validateCsvOptions(resolved, pathPrefix);
  return resolved;
}

/** Byte codes of validated options. */
export function csvByteOptions(o: CsvOptions): CsvByteOptions {
  return {
    delimiter: o.delimiter.charCodeAt(0),
    quote: o.quote.charCodeAt(0),
    escape: o.escape.charCodeAt(0),
    nullValue: new TextEncoder().encode(o.nullValue),
  };
}

function unescapeTab(v: string): string {
  return v === '\\t' ? '\t' : v;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
