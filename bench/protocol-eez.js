// ocp.eez.v1 digest throughput: a 1,000-entry batch digested from calldata,
// against raw keccak256 over the same ABI-encoded bytes (measured in one run).

import { keccak_256 } from "@noble/hashes/sha3.js";
import { eezBatchDigest, encodePostAndVerifyBatch } from "@ocp/protocol";

function bytes(n, seed) {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

// A plausible entry: two state deltas, one L2→L1 call, one expected L1→L2 call.
function entry(i) {
  return {
    stateDeltas: [1n, 2n].map((r) => ({
      rollupId: r,
      currentState: bytes(32, i * 7 + Number(r)),
      newState: bytes(32, i * 11 + Number(r)),
      etherDelta: i % 2 === 0 ? -1_000_000_000_000_000n : 5n,
    })),
    proxyEntryHash: bytes(32, i + 1),
    destinationRollupId: 1n,
    l2ToL1Calls: [
      {
        targetAddress: bytes(20, i + 2),
        value: 10n ** 18n,
        data: bytes(100, i + 3),
        sourceAddress: bytes(20, i + 4),
        sourceRollupId: 2n,
        revertSpan: 0n,
      },
    ],
    expectedL1ToL2Calls: [
      { crossChainCallHash: bytes(32, i + 5), callCount: 1n, returnData: bytes(64, i + 6) },
    ],
    expectedLookups: [],
    callCount: 2n,
    returnData: bytes(32, i + 7),
    rollingHash: bytes(32, i + 8),
  };
}

function batch(n) {
  return {
    entries: Array.from({ length: n }, (_, i) => entry(i)),
    l1ToL2lookupCalls: [],
    transientExecutionEntryCount: 0n,
    transientLookupCallCount: 0n,
    proofSystems: [bytes(20, 99)],
    rollupIdsWithProofSystems: [
      { rollupId: 1n, proofSystemIndex: [0n] },
      { rollupId: 2n, proofSystemIndex: [0n] },
    ],
    crossProofSystemInteractions: bytes(32, 98),
    blobIndices: [],
    callData: bytes(256, 97),
    proofs: [bytes(256, 96)],
    blockNumber: 0n,
  };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function timeIt(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function run() {
  const calldata = encodePostAndVerifyBatch(batch(1000));
  let sink = 0;
  const digest = () => {
    sink ^= eezBatchDigest(calldata).shared[0];
  };
  const raw = () => {
    sink ^= keccak_256(calldata)[0];
  };
  for (let i = 0; i < 10; i++) {
    digest();
    raw();
  }
  // Interleave rounds so both see the same machine state.
  const d = [];
  const r = [];
  for (let round = 0; round < 5; round++) {
    d.push(timeIt(digest, 7));
    r.push(timeIt(raw, 7));
  }
  const msDigest = median(d);
  const msRaw = median(r);
  if (sink === -1) console.log(sink);
  return {
    "protocol.eez_digest.ratio_to_keccak": msRaw / msDigest,
    "protocol.eez_digest.ms_1000_entries": msDigest,
    "protocol.eez_digest.calldata_bytes_1000_entries": calldata.length,
    "protocol.eez_digest.raw_keccak_ms": msRaw,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await run());
}
