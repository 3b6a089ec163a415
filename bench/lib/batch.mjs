// Small seeded generator of EEZ postAndVerifyBatch arguments for benchmarks:
// a few entries and lookups with random contents, shaped like real batches.

/** mulberry32: deterministic floats in [0, 1). */
export function makeRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng, max) => Math.floor(rng() * (max + 1));

function bytes(rng, n) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 255);
  return b;
}

const u64 = (rng) => BigInt(int(rng, 0xffff)) * BigInt(int(rng, 0xffff));
const list = (rng, max, f) => Array.from({ length: int(rng, max) }, f);

const l2ToL1Call = (rng) => ({
  targetAddress: bytes(rng, 20),
  value: u64(rng),
  data: bytes(rng, int(rng, 68)),
  sourceAddress: bytes(rng, 20),
  sourceRollupId: BigInt(int(rng, 8)),
  revertSpan: 0n,
});

const expectedL1ToL2Call = (rng) => ({
  crossChainCallHash: bytes(rng, 32),
  callCount: BigInt(int(rng, 4)),
  returnData: bytes(rng, int(rng, 64)),
});

const expectedLookup = (rng) => ({
  crossChainCallHash: bytes(rng, 32),
  returnData: bytes(rng, int(rng, 64)),
  failed: rng() < 0.1,
  l2ToL1CallNumber: BigInt(int(rng, 4)),
  lastL1ToL2CallConsumed: BigInt(int(rng, 4)),
  executingLookupIndex: BigInt(int(rng, 4)),
  l2ToL1Calls: list(rng, 1, () => l2ToL1Call(rng)),
  expectedL1ToL2Calls: list(rng, 1, () => expectedL1ToL2Call(rng)),
  callCount: BigInt(int(rng, 4)),
  rollingHash: bytes(rng, 32),
});

const entry = (rng) => ({
  stateDeltas: list(rng, 2, () => ({
    rollupId: BigInt(int(rng, 8)),
    currentState: bytes(rng, 32),
    newState: bytes(rng, 32),
    etherDelta: rng() < 0.5 ? -u64(rng) : u64(rng),
  })),
  proxyEntryHash: bytes(rng, 32),
  destinationRollupId: BigInt(int(rng, 8)),
  l2ToL1Calls: list(rng, 2, () => l2ToL1Call(rng)),
  expectedL1ToL2Calls: list(rng, 1, () => expectedL1ToL2Call(rng)),
  expectedLookups: list(rng, 1, () => expectedLookup(rng)),
  callCount: BigInt(int(rng, 4)),
  returnData: bytes(rng, int(rng, 64)),
  rollingHash: bytes(rng, 32),
});

const lookup = (rng) => ({
  crossChainCallHash: bytes(rng, 32),
  destinationRollupId: BigInt(int(rng, 8)),
  returnData: bytes(rng, int(rng, 64)),
  failed: rng() < 0.1,
  l2ToL1Calls: list(rng, 1, () => l2ToL1Call(rng)),
  expectedL1ToL2Calls: list(rng, 1, () => expectedL1ToL2Call(rng)),
  expectedLookups: list(rng, 1, () => expectedLookup(rng)),
  callCount: BigInt(int(rng, 4)),
  rollingHash: bytes(rng, 32),
  expectedStateRoots: list(rng, 2, () => ({ rollupId: BigInt(int(rng, 8)), stateRoot: bytes(rng, 32) })),
});

/** One batch with 1–4 entries and 0–2 lookups over 1–2 proof systems. */
export function randomBatch(rng) {
  const nPs = int(rng, 1) + 1;
  return {
    entries: Array.from({ length: int(rng, 3) + 1 }, () => entry(rng)),
    l1ToL2lookupCalls: list(rng, 2, () => lookup(rng)),
    transientExecutionEntryCount: BigInt(int(rng, 4)),
    transientLookupCallCount: BigInt(int(rng, 4)),
    proofSystems: Array.from({ length: nPs }, () => bytes(rng, 20)),
    rollupIdsWithProofSystems: [{ rollupId: BigInt(int(rng, 8) + 1), proofSystemIndex: [0n] }],
    crossProofSystemInteractions: bytes(rng, 32),
    blobIndices: [],
    callData: bytes(rng, int(rng, 200)),
    proofs: Array.from({ length: nPs }, () => bytes(rng, 64 + int(rng, 192))),
    blockNumber: u64(rng),
  };
}
