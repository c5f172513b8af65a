/**
 * PipelineModelData fixtures shared by the PipelineModel tests: a bank-like binomial pipeline
 * (two categorical columns, one with handleInvalid keep, a string label, a dropped column) and a
 * multinomial one with a numeric label. Coefficients are awkward doubles (not short decimals,
 * one -0, a subnormal) so a lossy round trip shows.
 */
import type { PipelineModelData } from '../../src/artifacts/pipeline-model-data.js';

export function binomialPipeline(sparkVersion = '3.5.0'): PipelineModelData {
  const featureNames = ['job_admin', 'job_blue', 'marital_married', 'marital_single', 'marital___unknown', 'age', 'balance'];
  return {
    uid: 'PipelineModel_0123456789ab',
    inputSchema: [
      { name: 'age', type: 'int' },
      { name: 'job', type: 'string' },
      { name: 'marital', type: 'string' },
      { name: 'day', type: 'int' },
      { name: 'balance', type: 'double' },
      { name: 'deposit', type: 'string' },
    ],
    drop: ['day'],
    encoding: {
      label: { kind: 'string', column: 5, name: 'deposit', labels: ['no', 'yes'] },
      features: [
        {
          kind: 'onehot',
          column: 1,
          name: 'job',
          labels: ['admin', 'blue', 'techn'],
          handleInvalid: 'error',
          dropLast: true,
          offset: 0,
          size: 2,
        },
        {
          kind: 'onehot',
          column: 2,
          name: 'marital',
          labels: ['married', 'single'],
          handleInvalid: 'keep',
          dropLast: false,
          offset: 2,
          size: 3,
        },
        { kind: 'numeric', column: 0, name: 'age' },
        { kind: 'numeric', column: 4, name: 'balance' },
      ],
      numFeatures: 7,
      numericHandleInvalid: 'error',
      split: { seed: 2018, trainFraction: 0.7 },
    },
    labelValues: ['no', 'yes'],
    featureNames,
    classifier: {
      family: 'binomial',
      model: {
        uid: 'LogisticRegression_aaaaaaaaaaaa',
        numFeatures: 7,
        coefficients: Float64Array.from([0.1 + 0.2, -0, 5e-324, -1 / 3, Math.PI, 1e300, -2.5e-8]),
        intercept: -Math.E,
        featureNames,
        params: { maxIter: 10, regParam: 0, labelCol: 'label', featuresCol: 'features' },
        sparkVersion,
        defaultParams: { maxIter: 100, threshold: 0.5 },
        timestamp: 1700000000000,
      },
    },
    sparkVersion,
    stringOrderType: 'frequencyDesc',
  };
}

export function multinomialPipeline(): PipelineModelData {
  const featureNames = ['color_red', 'color_green', 'x'];
  const K = 3;
  return {
    uid: 'PipelineModel_fedcba987654',
    inputSchema: [
      { name: 'color', type: 'string' },
      { name: 'x', type: 'double' },
      { name: 'y', type: 'int' },
    ],
    drop: [],
    encoding: {
      label: { kind: 'numeric', column: 2, name: 'y' },
      numClasses: K,
      features: [
        {
          kind: 'onehot',
          column: 0,
          name: 'color',
          labels: ['red', 'green', 'blue'],
          handleInvalid: 'skip',
          dropLast: true,
          offset: 0,
          size: 2,
        },
        { kind: 'numeric', column: 1, name: 'x' },
      ],
      numFeatures: 3,
      numericHandleInvalid: 'skip',
      split: { seed: 7, trainFraction: 0.8 },
    },
    labelValues: ['0', '1', '2'],
    featureNames,
    classifier: {
      family: 'multinomial',
      model: {
        uid: 'LogisticRegression_bbbbbbbbbbbb',
        numClasses: K,
        numFeatures: 3,
        coefficientMatrix: Float64Array.from([1.1, -2.2, 3.3, 0.1 + 0.7, 1e-17, -4, 2 ** -1074, 7 / 3, -0.5]),
        interceptVector: Float64Array.from([0.25, -1 / 7, 9.75]),
        featureNames,
        labels: ['0', '1', '2'],
        params: { maxIter: 10, family: 'multinomial', labelCol: 'label', featuresCol: 'features' },
        sparkVersion: '3.5.0',
        defaultParams: { maxIter: 100 },
        timestamp: 1700000000000,
      },
    },
    sparkVersion: '3.5.0',
  };
}
