/**
 * The CSV form of predict's output, byte for byte: header, one column per vector component,
 * RFC 4180 quoting of awkward strings, null as an empty field and the empty string as `""`,
 * doubles in shortest round-trip form (−0 keeps its sign), and the label value of each class.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { ScorePartial } from '@kindling/shared/compute';
import { openScoredRowsWriter } from '../../src/pipeline/scored-rows-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'kindling-scored-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const part: ScorePartial = {
  count: 3,
  skipped: 0,
  numClasses: 2,
  rowIds: Float64Array.of(7, 8, 9),
  rawPrediction: Float64Array.of(-0.1, 0.1, 2.5, -2.5, -0, 0),
  probability: Float64Array.of(0.47502081252106, 0.52497918747894, 0.9241418199787566, 0.07585818002124355, 0.5, 0.5),
  prediction: Float64Array.of(1, 0, 0),
  columns: [
    { kind: 'string', codes: Int32Array.of(0, 1, -1), dictionary: ['a, "quoted"\nvalue', ''] },
    { kind: 'numeric', values: Float64Array.of(1, 0, 0), nulls: Uint8Array.of(0, 0, 1) },
    { kind: 'numeric', values: Float64Array.of(35, 1e21, 0.1) },
  ],
};

t.test('csv: header, quoting, nulls and round-trip doubles', async (t) => {
  const w = await openScoredRowsWriter(dir, 'csv', {
    labelValues: ['no', 'yes, really'],
    kept: [
      { name: 'note', type: 'string' },
      { name: 'flag', type: 'boolean' },
      { name: 'x', type: 'double' },
    ],
  });
  t.same(w.columns, [
    'rowId',
    'rawPrediction_0',
    'rawPrediction_1',
    'probability_0',
    'probability_1',
    'prediction',
    'predictedLabel',
    'note',
    'flag',
    'x',
  ]);
  await w.writePart(0, part);
  t.equal(
    readFileSync(join(dir, 'part-00000.csv'), 'utf8'),
    [
      'rowId,rawPrediction_0,rawPrediction_1,probability_0,probability_1,prediction,predictedLabel,note,flag,x',
      '7,-0.1,0.1,0.47502081252106,0.52497918747894,1,"yes, really","a, ""quoted""\nvalue",true,35',
      '8,2.5,-2.5,0.9241418199787566,0.07585818002124355,0,no,"",false,1e+21',
      '9,-0,0,0.5,0.5,0,no,,,0.1',
      '',
    ].join('\n'),
  );
  await t.rejects(w.writePart(0, part), /written after partition 0/, 'parts come in partition order');
});
