// Test helper: one anvil per suite, started before and always stopped after.
import { afterAll, beforeAll } from "vitest";
import { type Anvil, type AnvilOptions, startAnvil } from "../../packages/node/src/devnet/anvil.js";

export { ANVIL_PRIVATE_KEYS } from "../../packages/node/src/devnet/anvil.js";
export type { Anvil };

/**
 * Receipt polling for viem clients of a test anvil: viem's HTTP default (4 s)
 * holds each receipt a full interval after anvil has mined it at once.
 */
export const ANVIL_POLLING_MS = 50;

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
