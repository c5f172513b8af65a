/**
 * The test fixtures of @kindling/shared (sample messages of every type, a logger that keeps
 * its lines, polling), for the tests that moved out of shared/test because they need a
 * nats-server, which @kindling/shared no longer starts. They are loaded from shared's own
 * compiled tests rather than copied, so the NATS round trip keeps checking the very messages
 * the codec and schema tests check. shared exports no test code, and a relative import would
 * resolve differently from test/src (tsc) and test/dist/src (node), so the path is built here.
 * The types come from shared's sources: a referenced project's declarations.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './paths.js';

type MessageFixtures = typeof import('../../../shared/test/message-fixtures.js');
type TransportFixtures = typeof import('../../../shared/test/transport/transport-fixtures.js');

const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(resolve(repoRoot, 'shared/dist/test', path)).href)) as T;

export const { sampleMessages } = await load<MessageFixtures>('message-fixtures.js');
export const { collectingLogger, waitFor } = await load<TransportFixtures>('transport/transport-fixtures.js');
