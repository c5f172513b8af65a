import os from 'node:os';
import t from 'tap';
import { parseMaster } from '../src/master-url.js';

t.test('master-url: reads the local forms as thread counts', async (t) => {
  t.strictSame(parseMaster('local'), { kind: 'local', threads: 1 });
  t.strictSame(parseMaster('local[1]'), { kind: 'local', threads: 1 });
  t.strictSame(parseMaster('local[8]'), { kind: 'local', threads: 8 });
  t.strictSame(parseMaster(' local[2] '), { kind: 'local', threads: 2 });
  t.strictSame(parseMaster('local[*]'), { kind: 'local', threads: os.availableParallelism() });
});

t.test('master-url: reads cluster URLs', async (t) => {
  t.strictSame(parseMaster('nats://nats:4222'), { kind: 'nats', url: 'nats://nats:4222' });
  t.strictSame(parseMaster('nats://127.0.0.1'), { kind: 'nats', url: 'nats://127.0.0.1' });
  t.strictSame(parseMaster('k8s://kindling'), { kind: 'k8s', namespace: 'kindling' });
  t.strictSame(parseMaster('k8s://'), { kind: 'k8s', namespace: 'default' });
});

t.test('master-url: rejects bad values, naming them', async (t) => {
  const cases: [string, RegExp][] = [
    ['local[0]', /^invalid master URL "local\[0\]": the thread count must be \* or an integer from 1 to 4096$/],
    ['local[-2]', /^invalid master URL "local\[-2\]": the thread count/],
    ['local[two]', /^invalid master URL "local\[two\]": the thread count/],
    ['local[]', /^invalid master URL "local\[\]": the thread count/],
    ['local[4,2]', /^invalid master URL "local\[4,2\]": local\[N,F\] \(task retries in local mode\) is not supported; use local\[N\]$/],
    [
      'spark://host:7077',
      /^invalid master URL "spark:\/\/host:7077": expected local, local\[N\], local\[\*\], nats:\/\/host\[:port\] or k8s:\/\/namespace$/,
    ],
    ['yarn', /^invalid master URL "yarn": expected local/],
    ['', /^invalid master URL "": expected local/],
    ['nats://', /^invalid master URL "nats:\/\/": expected nats:\/\/host\[:port\]$/],
    ['nats://host:4222/sub', /a NATS URL has no path/],
    ['k8s://https://api:6443', /^invalid master URL "k8s:\/\/https:\/\/api:6443": "https:\/\/api:6443" is not a Kubernetes namespace name/],
    ['k8s://Bad_NS', /"Bad_NS" is not a Kubernetes namespace name; expected k8s:\/\/namespace$/],
  ];
  for (const [url, message] of cases) {
    t.throws(() => parseMaster(url), { code: 'E_INVALID_VALUE', message }, JSON.stringify(url));
  }
});
