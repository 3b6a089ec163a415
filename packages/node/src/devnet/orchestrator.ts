// Calldata for the devnet Orchestrator: `post(batch)` or `postTwo(a, b)`, built
// from the batches' canonical encodings so the inner postAndVerifyBatch calls
// carry exactly the bytes a verifier re-encodes.
import { Orchestrator } from "@ocp/contracts";
import {
  concatBytes,
  encodePostAndVerifyBatch,
  fromHex,
  type ProofSystemBatchPerVerificationEntries,
  toHex,
} from "@ocp/protocol";
import { toFunctionSelector } from "viem";

function word(n: number): Uint8Array {
  const w = new Uint8Array(32);
  new DataView(w.buffer).setUint32(28, n);
  return w;
}

export function orchestratorCalldata(
  batches: readonly ProofSystemBatchPerVerificationEntries[],
): `0x${string}` {
  if (batches.length < 1 || batches.length > 2) throw new Error("the orchestrator posts one or two batches");
  const name = batches.length === 1 ? "post" : "postTwo";
  const item = Orchestrator.abi.find((x) => x.type === "function" && x.name === name);
  // Each batch's tuple body: its abi.encode without the selector and head word.
  const bodies = batches.map((b) => encodePostAndVerifyBatch(b).subarray(36));
  const offsets: Uint8Array[] = [];
  let off = 32 * bodies.length;
  for (const b of bodies) {
    offsets.push(word(off));
    off += b.length;
  }
  return toHex(concatBytes(fromHex(toFunctionSelector(item as never)), ...offsets, ...bodies));
}
