// fast-check arbitraries for the signed protocol messages, shared by the
// eip712, json, builder and evidence tests.
import fc from "fast-check";
import type { Attestation, Commitment, Domain, Observation } from "../../src/types.js";
import { UINT32_MAX, UINT64_MAX } from "../../src/types.js";

export const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

/** uint64 with the extremes (0, 1, 2^32, 2^63, 2^64-1) drawn often. */
export const uint64 = (): fc.Arbitrary<bigint> =>
  fc.oneof(
    fc.constantFrom(0n, 1n, (1n << 32n) - 1n, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, UINT64_MAX),
    fc.bigInt({ min: 0n, max: UINT64_MAX }),
  );

export const uint32 = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(0, 1, 0x7fff_ffff, 0x8000_0000, UINT32_MAX),
    fc.integer({ min: 0, max: UINT32_MAX }),
  );

/** Positive safe-integer chain ids, small and large. */
export const chainId = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(1, 31337, 11155111, 2 ** 32, Number.MAX_SAFE_INTEGER),
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  );

export const domain = (): fc.Arbitrary<Domain> =>
  fc.record({ chainId: chainId(), verifyingContract: bytes(20) });

export const observation = (): fc.Arbitrary<Observation> =>
  fc.record({
    stream: bytes(32),
    slot: uint64(),
    l1BlockNumber: uint64(),
    l1BlockHash: bytes(32),
    schema: bytes(32),
    tableDigest: bytes(32),
    entryCount: uint32(),
  });

export const commitment = (): fc.Arbitrary<Commitment> =>
  fc.record({ observation: observation(), builder: bytes(20) });

export const attestation = (): fc.Arbitrary<Attestation> =>
  fc.record({
    domain: domain(),
    observation: observation(),
    setId: bytes(32),
    verifierIndex: uint32(),
    signature: bytes(96),
  });
