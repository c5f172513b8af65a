/**
 * hyparquet and its decompressors, loaded on first use instead of with the compute entry.
 * Every thread that imports @kindling/shared/compute (the driver, each pool thread, the
 * metrics thread) spent ~50 ms of CPU compiling them, and a CSV job never reads Parquet.
 *
 * The readers are synchronous (a worker's op runs to completion on bytes in memory), so the
 * modules must be in before they run: the driver's planners await loadHyparquet() before they
 * read a footer, and an op that decodes Parquet names it in its `prepare` (ops/*.ts), which the
 * pool thread awaits before the op runs. hyparquet() then hands the loaded modules out.
 */
import type * as Hyparquet from 'hyparquet';
import type * as Compressors from 'hyparquet-compressors';
import type * as Column from 'hyparquet/src/column.js';
import type * as Convert from 'hyparquet/src/convert.js';
import type * as DataPage from 'hyparquet/src/datapage.js';
import type * as Plain from 'hyparquet/src/plain.js';
import type * as SchemaTree from 'hyparquet/src/schema.js';
import { KindlingError } from '../errors.js';

/** The parts of hyparquet the Parquet readers call. */
export interface HyparquetLibrary {
  readonly parquetMetadata: typeof Hyparquet.parquetMetadata;
  readonly parquetSchema: typeof Hyparquet.parquetSchema;
  readonly compressors: typeof Compressors.compressors;
  readonly parquetHeader: typeof Column.parquetHeader;
  readonly convert: typeof Convert.convert;
  readonly DEFAULT_PARSERS: typeof Convert.DEFAULT_PARSERS;
  readonly decompressPage: typeof DataPage.decompressPage;
  readonly readDataPage: typeof DataPage.readDataPage;
  readonly readDataPageV2: typeof DataPage.readDataPageV2;
  readonly readPlain: typeof Plain.readPlain;
  readonly getTreePath: typeof SchemaTree.getTreePath;
  readonly getMaxDefinitionLevel: typeof SchemaTree.getMaxDefinitionLevel;
  readonly getMaxRepetitionLevel: typeof SchemaTree.getMaxRepetitionLevel;
}

let library: HyparquetLibrary | undefined;
let loading: Promise<void> | undefined;

/** Loads the modules once per thread; resolves at once when they are in. */
export function loadHyparquet(): Promise<void> {
  if (library !== undefined) return Promise.resolve();
  loading ??= Promise.all([
    import('hyparquet'),
    import('hyparquet-compressors'),
    import('hyparquet/src/column.js'),
    import('hyparquet/src/convert.js'),
    import('hyparquet/src/datapage.js'),
    import('hyparquet/src/plain.js'),
    import('hyparquet/src/schema.js'),
  ]).then(
    ([main, comp, column, convert, datapage, plain, schema]) => {
      library = {
        parquetMetadata: main.parquetMetadata,
        parquetSchema: main.parquetSchema,
        compressors: comp.compressors,
        parquetHeader: column.parquetHeader,
        convert: convert.convert,
        DEFAULT_PARSERS: convert.DEFAULT_PARSERS,
        decompressPage: datapage.decompressPage,
        readDataPage: datapage.readDataPage,
        readDataPageV2: datapage.readDataPageV2,
        readPlain: plain.readPlain,
        getTreePath: schema.getTreePath,
        getMaxDefinitionLevel: schema.getMaxDefinitionLevel,
        getMaxRepetitionLevel: schema.getMaxRepetitionLevel,
      };
    },
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** Whether this thread has the modules (an op's prepare has nothing to wait for). */
export function hyparquetLoaded(): boolean {
  return library !== undefined;
}

/** The loaded modules; E_INTERNAL when no caller awaited loadHyparquet() first (a missing prepare). */
export function hyparquet(): HyparquetLibrary {
  if (library === undefined) {
    throw new KindlingError('E_INTERNAL', 'the Parquet reader ran before hyparquet was loaded (await loadHyparquet() first)');
  }
  return library;
}
