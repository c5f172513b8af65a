import t from 'tap';
import { cpuMillicores, memoryBytes, parseQuantity } from '../../src/k8s/quantity.js';

t.test('quantity: CPU quantities become millicores exactly', async (t) => {
  t.equal(cpuMillicores('250m'), 250);
  t.equal(cpuMillicores('1'), 1000);
  t.equal(cpuMillicores('2.5'), 2500);
  t.equal(cpuMillicores('12345678n'), 12.345678);
  t.equal(cpuMillicores('1500u'), 1.5);
  t.equal(cpuMillicores('0'), 0);
});

t.test('quantity: memory quantities become bytes in binary and decimal units', async (t) => {
  t.equal(memoryBytes('123456Ki'), 123456 * 1024);
  t.equal(memoryBytes('64Mi'), 67108864);
  t.equal(memoryBytes('1.5Gi'), 1.5 * 1024 ** 3);
  t.equal(memoryBytes('1G'), 1e9);
  t.equal(memoryBytes('2k'), 2000);
  t.equal(memoryBytes('1e3'), 1000);
  t.equal(memoryBytes('5E2'), 500);
  t.equal(memoryBytes('1024'), 1024);
});

t.test('quantity: parseQuantity scales to any power of ten', async (t) => {
  t.equal(parseQuantity('3M', 6), 3);
  t.equal(parseQuantity('100m', -3), 100);
});

t.test('quantity: malformed quantities are rejected naming the value and what it was for', async (t) => {
  for (const bad of ['', 'abc', '10KB', '1.2.3', 'm', '5 Mi', '1e']) {
    t.throws(() => memoryBytes(bad), { code: 'E_INVALID_VALUE', message: `invalid Kubernetes quantity "${bad}" for memory` });
  }
  t.throws(() => cpuMillicores('2cores'), { message: /for CPU/ });
});
