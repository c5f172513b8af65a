/**
 * score: applies a saved pipeline and classifier to a partition's cached rows (`kindling
 * predict`): rawPrediction, probability and prediction of every kept row, plus the columns the
 * user passes through. The fitted encoding travels in the job plan, as in training; the
 * coefficients travel in the params. The rows are freed afterwards: nothing else reads them.
 */
import { scorePartition } from '../kernels/score.js';
import { fileNameOf, requireEncoding } from './lineage-requirements.js';
import { defineOp } from './task-op.js';

export const scoreOp = defineOp({
  name: 'score',
  schemas: (z, kit) => ({
    params: z.object({
      family: z.enum(['binomial', 'multinomial']),
      /** Binomial: numFeatures coefficients; multinomial: K × numFeatures, class-major. */
      beta: kit.float64Array,
      /** Binomial: [intercept]; multinomial: K intercepts. */
      intercepts: kit.float64Array,
      /** Binomial: predicted class is 1 iff probability[1] > threshold (strict, as Spark). */
      threshold: kit.float,
      /** Indices (in the plan's schema) of the columns passed through to the output. */
      keep: z.array(kit.count).readonly(),
    }),
    result: kit.scorePartial,
  }),
  input: 'rows',
  run: (rows, lineage, params) => ({
    partial: scorePartition(
      rows,
      requireEncoding(lineage),
      { family: params.family, beta: params.beta, intercepts: params.intercepts, threshold: params.threshold },
      params.keep,
      fileNameOf(lineage),
    ),
  }),
  frees: ['rows'],
  merge: (parts) => ({
    rows: parts.reduce((a, p) => a + p.count, 0),
    skipped: parts.reduce((a, p) => a + p.skipped, 0),
  }),
});
