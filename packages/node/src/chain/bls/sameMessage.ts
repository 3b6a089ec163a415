// Randomized verification of many single-key signatures over ONE message: the
// common case (every honest verifier signs the same observationRoot). Costs one
// multi-scalar sum per side and a single pairing check instead of n+1 pairings.
import * as blst from "@chainsafe/blst";
import {
  type BlsBackend,
  type BlsPublicKey,
  type BlsSignatureSet,
  toHex,
  uncompressedSignature,
} from "@ocp/protocol";

/**
 * blst multiplies the points of a same-message batch by their random scalars
 * one by one below this many points, and with one Pippenger multi-scalar
 * multiplication from it on: ~0.19 ms per set below, ~0.09 ms from 32 on
 * (`node.attestations.blst_padded_cost_ratio` in bench/node-attestations.js
 * measures it). So 21 sets cost more than 32 (~4.3 against ~3.0 ms).
 */
export const SAME_MESSAGE_MSM_SETS = 32;

/**
 * Batches of this many sets or more, and fewer than SAME_MESSAGE_MSM_SETS, are
 * padded to SAME_MESSAGE_MSM_SETS with signatures already verified over the
 * same message: at 17 the cost of 17 per-point multiplications passes that of
 * one 32-point multi-scalar multiplication.
 */
export const SAME_MESSAGE_PAD_FROM = 17;

/**
 * Signatures that passed a same-message check, by message, to pad later
 * batches over that message (docs/spec.md §6, "BLS verification"). A padding
 * set is a valid signature, so it cannot make a batch with an invalid set pass:
 * the random-scalar check fails for any invalid set, whatever valid sets are
 * added (probability 2^-64). Only sets of a batch that passed are remembered,
 * at most SAME_MESSAGE_MSM_SETS per message and for the `messages` most
 * recent messages (~6 KB each).
 */
export class VerifiedSameMessageSets {
  private readonly byMessage = new Map<string, blst.PkAndSerializedSig[]>();
  /** Padding sets used so far (metrics, tests). */
  padded = 0;

  constructor(private readonly messages = 8) {}

  /** Remembers the first `n` of `items`, which passed a check over `message` (up to the per-message bound). */
  add(message: string, items: readonly blst.PkAndSerializedSig[], n: number): void {
    let held = this.byMessage.get(message);
    if (held === undefined) {
      if (this.byMessage.size >= this.messages) this.byMessage.delete(this.byMessage.keys().next().value!);
      held = [];
      this.byMessage.set(message, held);
    }
    for (let i = 0; i < n && held.length < SAME_MESSAGE_MSM_SETS; i++) held.push(items[i]!);
  }

  /** Appends up to `n` remembered sets over `message` to `items`. */
  pad(message: string, items: blst.PkAndSerializedSig[], n: number): void {
    const held = this.byMessage.get(message);
    if (held === undefined) return;
    const take = Math.min(n, held.length);
    for (let i = 0; i < take; i++) items.push(held[i]!);
    this.padded += take;
  }

  /** Sets held over `message`. */
  heldFor(message: string): number {
    return this.byMessage.get(message)?.length ?? 0;
  }
}

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
  verified?: VerifiedSameMessageSets,
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
      const n = items.length;
      const key = verified === undefined ? undefined : toHex(message);
      if (key !== undefined && n >= SAME_MESSAGE_PAD_FROM && n < SAME_MESSAGE_MSM_SETS) {
        verified!.pad(key, items, SAME_MESSAGE_MSM_SETS - n);
      }
      const agg = blst.aggregateWithRandomness(items);
      const ok = blst.verify(message, agg.pk, agg.sig, false, false);
      // The padding sets (after the first n) are held already.
      if (ok && key !== undefined) verified!.add(key, items, n);
      return ok;
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
