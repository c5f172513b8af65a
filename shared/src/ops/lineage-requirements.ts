/**
 * What an op needs from a partition's lineage before it can run: a load needs the schema the
 * inference pass found, encoding-based ops need the fitted plan. A driver that sends a task
 * too early is a bug of the driver, reported as such rather than as a data error.
 */
import { KindlingError } from '../errors.js';
import type { Schema } from '../columnar/schema.js';
import type { EncodingPlan, PartitionLineage } from '../tasks.js';

/** The schema of the partition's plan; throws E_INTERNAL when the plan has none yet. */
export function requireSchema(lineage: PartitionLineage): Schema {
  if (!lineage.schema)
    throw new KindlingError('E_INTERNAL', `partition ${lineage.source.index}: load task sent before the plan had a schema`);
  return lineage.schema;
}

/** The encoding of the partition's plan; throws E_INTERNAL when transforms are not fitted yet. */
export function requireEncoding(lineage: PartitionLineage): EncodingPlan {
  if (!lineage.encoding)
    throw new KindlingError('E_INTERNAL', `partition ${lineage.source.index}: task sent before the plan had an encoding`);
  return lineage.encoding;
}

/** The input file's base name, for error messages that name the file. */
export function fileNameOf(lineage: PartitionLineage): string {
  const f = lineage.source.file;
  const slash = f.lastIndexOf('/');
  return slash < 0 ? f : f.slice(slash + 1);
}
