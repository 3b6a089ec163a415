// Randomized verification of many single-key signatures over ONE message: the
// common case (every honest verifier signs the same observationRoot). Costs one
// multi-scalar sum per side and a single pairing check instead of n+1 pairings.
import * as blst from "@chainsafe/blst";
import {
  type BlsBackend,
  type BlsPublicKey,
  type BlsSignatureSet,
  uncompressedSignature,
} from "@ocp/protocol";

/**
 * True iff (with probability ≥ 1 − 2^-64) every signature verifies over
 * `message` under its key. Signatures are decoded here with infinity and
 * subgroup checks. Never throws.
 *
 * blst's `aggregateWithRandomness` does Σ rᵢ·pkᵢ and Σ rᵢ·sigᵢ with random 64-bit
 * rᵢ; the protocol's BlsBackend has no such entry point yet, so this reaches
 * into blst when the backend is blst and falls back to the backend's multi-set
 * randomized batch otherwise (noble).
 */
export function verifySameMessage(
  bls: BlsBackend,
  message: Uint8Array,
  pubkeys: readonly BlsPublicKey[],
  signatures: readonly Uint8Array[],
): boolean {
  if (pubkeys.length === 0 || pubkeys.length !== signatures.length) return false;
  try {
    if (bls.name === "blst") {
      const items = new Array<blst.PkAndSerializedSig>(pubkeys.length);
      for (let i = 0; i < pubkeys.length; i++) {
        const pk = pubkeys[i] as unknown;
        // Handles decoded by another backend cannot enter blst.
        if (!(pk instanceof blst.PublicKey)) return false;
        // Decompressed once per vote and remembered: the certificates built
        // from it later reuse the point (docs/spec.md §6, "Aggregation").
        items[i] = { pk, sig: uncompressedSignature(signatures[i]!) };
      }
      if (items.length === 1) {
        const sig = blst.Signature.fromBytes(items[0]!.sig, true);
        return blst.verify(message, items[0]!.pk, sig, false, false);
      }
      const agg = blst.aggregateWithRandomness(items);
      return blst.verify(message, agg.pk, agg.sig, false, false);
    }
    const sets: BlsSignatureSet[] = pubkeys.map((pk, i) => ({
      pubkeys: [pk],
      message,
      signature: signatures[i]!,
    }));
    return bls.verifyBatch(sets);
  } catch {
    // Undecodable or non-subgroup signature, wrong handle: the batch does not verify.
    return false;
  }
}
