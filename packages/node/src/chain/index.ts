// Chain: gossip validation, pools, batched BLS verification and aggregation.
export * from "./aggregation/aggregator.js";
export * from "./bls/metrics.js";
export * from "./bls/sameMessage.js";
export * from "./bls/verifier.js";
export * from "./pipeline.js";
export * from "./pools/attestationPool.js";
export * from "./pools/certificatePool.js";
export * from "./pools/commitmentPool.js";
export * from "./pools/keys.js";
export * from "./pools/seenCache.js";
export * from "./validation/attestation.js";
export * from "./validation/certificate.js";
export * from "./validation/commitment.js";
export * from "./validation/context.js";
export * from "./validation/errors.js";
export * from "./validation/evidence.js";
