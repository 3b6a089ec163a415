// Observing a slot from a chain the way a node does: the node package's
// ObserveChecker (block-number slots, internal calls included via callTracer).
import { ObserveChecker, type ObserveResult, type StreamContext } from "@ocp/node";
import { fromHex, streamId } from "@ocp/protocol";
import { chainIdOf, publicClientFor } from "./chain.js";
import { failed } from "./exit.js";

export interface ChainObservation {
  stream: StreamContext;
  result: Extract<ObserveResult, { kind: "observed" }>;
}

/**
 * Observes `slot` (= block number) of the table contract on `rpc`. Exits 1
 * when the slot has no block or no table, or the RPC cannot answer.
 */
export async function observeFromChain(
  rpc: string,
  tableContract: `0x${string}`,
  slot: bigint,
  l1ChainId?: number,
): Promise<ChainObservation> {
  const chainId = l1ChainId ?? (await chainIdOf(publicClientFor(rpc), rpc));
  const stream: StreamContext = {
    name: "cli",
    id: streamId(chainId, fromHex(tableContract, 20)),
    l1ChainId: chainId,
    tableContract,
  };
  const checker = new ObserveChecker({
    rpcUrls: [rpc],
    agreement: 1,
    // The caller names the block: no confirmation depth is asked for.
    confirmations: 0,
    rpcTimeoutMs: 10_000,
    slots: { mode: "block-number" },
  });
  const result = await checker.observe(stream, slot);
  if (result.kind === "nothing") {
    return failed(
      result.reason === "NO_BLOCK_FOR_SLOT"
        ? `slot ${slot}: block ${slot} does not exist yet on ${rpc}`
        : `slot ${slot}: block ${slot} has no postAndVerifyBatch call to ${tableContract}`,
    );
  }
  if (result.kind === "abstain")
    return failed(`slot ${slot}: cannot observe (${result.reason}): ${result.detail}`);
  return { stream, result };
}
