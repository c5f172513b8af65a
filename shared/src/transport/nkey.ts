/**
 * NATS NKey user identities, made with the NATS client's own key library (ed25519 seeds in the
 * `SU…` text form nats-server and `nsc` use), for tools that set up a server and its clients
 * (`kindling cluster up --nkey`).
 */
import { loadNatsClient } from './nats-transport.js';

/** A new user NKey: the seed a client keeps secret, and the public key the server lists. */
export async function createUserNKey(): Promise<{ readonly seed: string; readonly publicKey: string }> {
  const user = (await loadNatsClient()).nkeys.createUser();
  return { seed: new TextDecoder().decode(user.getSeed()), publicKey: user.getPublicKey() };
}
