// Test helper: one anvil per suite, started before and always stopped after.
import { createWalletClient, http, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll } from "vitest";
import {
  ANVIL_PRIVATE_KEYS,
  type Anvil,
  type AnvilOptions,
  startAnvil,
} from "../../packages/node/src/devnet/anvil.js";

export { ANVIL_PRIVATE_KEYS } from "../../packages/node/src/devnet/anvil.js";
export type { Anvil };

/**
 * Receipt polling for viem clients of a test anvil: viem's HTTP default (4 s)
 * holds each receipt a full interval after anvil has mined it at once.
 */
export const ANVIL_POLLING_MS = 50;

/** A client of anvil's first account (the deployer and OcpAnchor's owner in the tests), reading and writing. */
export function anvilOwner(rpcUrl: string) {
  return createWalletClient({
    account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
    chain: foundry,
    transport: http(rpcUrl),
  }).extend(publicActions);
}

/** Registers beforeAll/afterAll hooks; read `.current` inside tests. */
export function useAnvil(opts: AnvilOptions = {}): { current: Anvil } {
  const ref = {} as { current: Anvil };
  beforeAll(async () => {
    ref.current = await startAnvil(opts);
  });
  afterAll(async () => {
    await ref.current?.stop();
  });
  return ref;
}
