// ocp.eez.v1 digest throughput: a 1,000-entry batch digested from calldata,
// against raw keccak256 over the same ABI-encoded bytes (measured in one run;
// `ratio_to_keccak` against @noble/hashes as before, `ratio_to_wasm_keccak`
// against the WebAssembly keccak the digest now uses for large buffers);
// and the worst hostile layout found, in ms of digest time per million gas
// the call used on chain.
//
// How the hostile figure is measured. Each layout is posted to the devnet
// ExecutionTable on anvil through a relay contract that calls it twice in one
// transaction, traced with callTracer: the gas is the second call frame's
// gasUsed, which is what an attacker pays per call when one transaction makes
// many (no 21,000 base, no calldata charge, warm accounts and dirty storage
// slots) — the cheapest way to buy digest work, and the figure ocp's reader
// itself takes from the trace (docs/spec.md §4.1). The contract's returned
// `shared` must equal our digest. Timing is steady state, as in a running
// node: ≥ 300 ms of warm-up, then the median of 21 samples, each sample
// timing enough back-to-back digests to last ≥ 5 ms.
//
// Which layout is worst, from the gas schedule. The digest's time is keccak
// over the re-encodings EEZ hashes plus our own reading; keccak (hash-wasm,
// ~350 MB/s) dominates large layouts, so the question is how many bytes the
// EVM makes us hash per gas it charged. For every 32-byte word of a
// re-encoding that ends in keccak256(abi.encode(...)) the contract pays at
// least: CALLDATACOPY 3 (bytes) or CALLDATALOAD+MSTORE ≥ 6 (heads), memory
// expansion 3 plus the quadratic words²/512 over the frame's whole memory
// (solc never frees memory: every entry's encoding stays), and KECCAK256 6
// (+30 per hash). So at best 12 gas per word, i.e. 2.67 bytes/gas, before the
// quadratic term and the call's fixed cost F (dispatch, storage, events). With
// M words hashed in one frame: bytes/gas = 32·M / (F + 12·M + M²/512), largest
// at M = √(512·F), where it is 32 / (12 + 2·√(F/512)). Calldata bytes are free
// to the inner frame, so aliasing (n offsets to one b-byte tail) or a single
// large `callData` both reach this bound: aliasing multiplies the words hashed
// without adding calldata, and every alias is re-encoded in full (the EVM
// copies it n times; we copy our first encoding, but must hash all of it).
// Aliased tails also carry a per-element cost (each L2ToL1Call head is read
// field by field, its offsets checked: a few hundred gas), so few large
// aliases beat many small ones, and `callData` (one CALLDATACOPY, one hash)
// has no per-element cost at all. The grid below spans n × b around that
// optimum and the `callData` sizes around √(512·F); nested aliases, distinct
// entries sharing a blob, far entries and plain state deltas are kept as
// checks of our own per-element overhead (where keccak is not the cost).
//
// Measured on the devnet contract: F ≈ 9,000 gas (calldata_blob of 8 KiB uses
// 12,204), so the optimum is M ≈ √(512·9000) ≈ 2,150 words (≈ 68 KB) at
// 32 / (12 + 8.4) ≈ 1.57 bytes/gas; the search finds calldata_blob(64 KiB) at
// 1.56 bytes/gas, and aliased calls (4 × 16 KiB, 8 × 12 KiB) at 1.35-1.4. At
// keccak's ~340 MB/s (2.9 ms per MB) that is ≥ 4.6 ms per Mgas from keccak
// alone, whatever our own overhead: a bound of 2 ms/Mgas would need ≤ 0.7
// bytes/gas or a keccak of ≥ 780 MB/s. Upstream EEZ also copies every entry
// and lookup into storage (≥ 100 gas per 32-byte word even warm and
// unchanged), which would take the entry paths below 0.3 bytes/gas; it only
// hashes `callData`, so that path stays at ≈ 1.5 bytes/gas there too.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { ExecutionTable } from "@ocp/contracts";
import { startAnvil } from "@ocp/node/devnet";
import {
  abiEncode,
  decodeEezBatch,
  EXECUTION_ENTRY_ABI,
  eezBatchDigest,
  encodePostAndVerifyBatch,
  keccak256Bulk,
  keccakReady,
  LOOKUP_CALL_ABI,
  POST_AND_VERIFY_BATCH_SELECTOR,
} from "@ocp/protocol";
import { createPublicClient, createWalletClient, decodeFunctionResult, http, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";

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

const M256 = (1n << 256n) - 1n;

/** Calldata laid out word by word: word 0 is the parameter's offset, the batch head follows. */
class Layout {
  constructor() {
    /** @type {bigint[]} */
    this.w = [32n];
    this.batch = this.alloc(11);
    // One zero word serves as every empty array and `bytes`.
    this.empty = this.alloc(1);
    for (const f of [0, 1, 4, 5, 7, 8, 9]) this.link(this.batch, this.batch + f, this.empty);
  }
  /** @param {number} n */
  alloc(n) {
    const at = this.w.length;
    for (let i = 0; i < n; i++) this.w.push(0n);
    return at;
  }
  /** Offset word `slot` (relative to word `base`) pointing at word `tail`. */
  link(base, slot, tail) {
    this.w[slot] = BigInt(32 * (tail - base)) & M256;
  }
  /** An array of `n` offsets (relative to its data) all pointing at word `tail`. */
  aliasArray(n, tail) {
    const at = this.alloc(1 + n);
    this.w[at] = BigInt(n);
    for (let i = 0; i < n; i++) this.link(at + 1, at + 1 + i, tail);
    return at;
  }
  /** `bytes` of `n` zero bytes (the cheapest calldata). */
  blob(n) {
    const at = this.alloc(1 + Math.ceil(n / 32));
    this.w[at] = BigInt(n);
    return at;
  }
  /** A head of `words` words whose dynamic fields (`dyn`) are all empty. */
  head(words, dyn) {
    const at = this.alloc(words);
    for (const f of dyn) this.link(at, at + f, this.empty);
    return at;
  }
  bytes() {
    const out = new Uint8Array(4 + 32 * this.w.length);
    out.set(POST_AND_VERIFY_BATCH_SELECTOR, 0);
    this.w.forEach((v, i) => {
      let x = v;
      for (let k = 31; k >= 0; k--) {
        out[4 + 32 * i + k] = Number(x & 0xffn);
        x >>= 8n;
      }
    });
    return out;
  }
}

const ENTRY_DYN = [0, 3, 4, 5, 7];
const L2L1_DYN = [2];
const LOOKUP_DYN = [1, 6, 7];

/** @type {Record<string, (n: number, b: number) => Uint8Array>} */
export const HOSTILE = {
  // One entry whose l2ToL1Calls are n offsets to one call carrying b bytes.
  aliased_calls_blob(n, b) {
    const l = new Layout();
    const call = l.head(6, L2L1_DYN);
    l.link(call, call + 2, l.blob(b));
    const entry = l.head(9, ENTRY_DYN);
    l.link(entry, entry + 3, l.aliasArray(n, call));
    l.link(l.batch, l.batch, l.aliasArray(1, entry));
    return l.bytes();
  },
  // n distinct entries (rollingHash differs) whose returnData are one b-byte blob.
  distinct_entries_blob(n, b) {
    const l = new Layout();
    const blob = l.blob(b);
    const arr = l.alloc(1 + n);
    l.w[arr] = BigInt(n);
    for (let i = 0; i < n; i++) {
      const e = l.head(9, ENTRY_DYN);
      l.w[e + 8] = BigInt(i + 1);
      l.link(e, e + 7, blob);
      l.link(arr + 1, arr + 1 + i, e);
    }
    l.link(l.batch, l.batch, arr);
    return l.bytes();
  },
  // n entries, each an empty head far below zero at its own position (read as zeros).
  far_entries(n) {
    const l = new Layout();
    const arr = l.alloc(1 + n);
    l.w[arr] = BigInt(n);
    for (let i = 0; i < n; i++) l.w[arr + 1 + i] = (-(1n << 200n) - BigInt(32 * i)) & M256;
    l.link(l.batch, l.batch, arr);
    return l.bytes();
  },
  // One entry: n aliased lookups, each with the same n aliased calls of b bytes.
  nested_aliases(n, b) {
    const l = new Layout();
    const call = l.head(6, L2L1_DYN);
    l.link(call, call + 2, l.blob(b));
    const look = l.head(10, LOOKUP_DYN);
    l.link(look, look + 6, l.aliasArray(n, call));
    const entry = l.head(9, ENTRY_DYN);
    l.link(entry, entry + 5, l.aliasArray(n, look));
    l.link(l.batch, l.batch, l.aliasArray(1, entry));
    return l.bytes();
  },
  // No entries: `callData` of b zero bytes (one copy, one hash: no per-element cost).
  calldata_blob(_n, b) {
    const l = new Layout();
    l.link(l.batch, l.batch + 8, l.blob(b));
    return l.bytes();
  },
  // One entry with n state deltas laid out in calldata (the plain copy path).
  many_deltas(n) {
    const l = new Layout();
    const arr = l.alloc(1 + 4 * n);
    l.w[arr] = BigInt(n);
    const entry = l.head(9, ENTRY_DYN);
    l.link(entry, entry, arr);
    l.link(l.batch, l.batch, l.aliasArray(1, entry));
    return l.bytes();
  },
};

/**
 * [family, n, b] tried; the worst ratio is reported. Each must fit twice in a
 * 30M-gas relay transaction (the second call gets at most 63/64 of what is left).
 * @type {[string, number, number][]}
 */
const SHAPES = [];
for (const n of [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 128, 256, 512, 2000]) {
  for (const b of [0, 128, 512, 1024, 2048, 4096, 8192, 12288, 16384, 32768]) {
    // Past ~1.5 MB re-encoded the quadratic memory term only lowers bytes per gas.
    if (n * (b + 256) <= 1_600_000) SHAPES.push(["aliased_calls_blob", n, b]);
  }
}
for (const b of [8192, 32768, 65536, 98304, 131072, 196608, 262144, 524288])
  SHAPES.push(["calldata_blob", 0, b]);
SHAPES.push(
  ["distinct_entries_blob", 200, 2048],
  ["distinct_entries_blob", 1000, 256],
  ["distinct_entries_blob", 1000, 0],
  ["far_entries", 1000, 0],
  ["nested_aliases", 8, 4096],
  ["nested_aliases", 16, 1024],
  ["nested_aliases", 40, 512],
  ["nested_aliases", 60, 0],
  ["many_deltas", 4000, 0],
);

/** Median ms of one `fn()` in steady state (see the header). */
export function steadyMs(fn) {
  let t0 = performance.now();
  let runs = 0;
  while (runs < 30 || performance.now() - t0 < 300) {
    fn();
    runs++;
  }
  t0 = performance.now();
  fn();
  const one = Math.max(performance.now() - t0, 0.001);
  const k = Math.max(1, Math.ceil(5 / one));
  const samples = [];
  for (let i = 0; i < 21; i++) {
    const s0 = performance.now();
    for (let j = 0; j < k; j++) fn();
    samples.push((performance.now() - s0) / k);
  }
  return median(samples);
}

/** Bytes the digest hashes: each distinct entry and lookup encoding, and callData. */
export function hashedBytes(calldata, gas) {
  const b = decodeEezBatch(calldata, gas);
  const seen = new Set();
  let total = b.callData.length;
  /** @type {[import("@ocp/protocol").AbiType, unknown[]][]} */
  const parts = [
    [EXECUTION_ENTRY_ABI, b.entries],
    [LOOKUP_CALL_ABI, b.l1ToL2lookupCalls],
  ];
  for (const [abi, xs] of parts) {
    for (const x of xs) {
      const enc = abiEncode(abi, /** @type {import("@ocp/protocol").AbiValue} */ (x));
      const key = toHex(keccak256Bulk(enc));
      if (seen.has(key)) continue;
      seen.add(key);
      total += enc.length;
    }
  }
  return total;
}

/**
 * Runtime of a relay: copies its calldata to memory and CALLs `to` with it
 * twice (the second call runs with warm accounts and dirty storage).
 */
function relayCode(to) {
  const call = `5f5f365f5f73${to.slice(2)}5af150`;
  return `0x365f5f37${call}${call}00`;
}

async function hostileWorst() {
  const anvil = await startAnvil();
  try {
    const account = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const transport = http(anvil.rpcUrl);
    const pub = createPublicClient({ chain: foundry, transport });
    const wallet = createWalletClient({ account, chain: foundry, transport });
    const hash = await wallet.deployContract({ abi: ExecutionTable.abi, bytecode: ExecutionTable.bytecode });
    const table = (await pub.waitForTransactionReceipt({ hash })).contractAddress;
    const relay = "0x00000000000000000000000000000000000e1a40";
    // Methods outside viem's public RPC schema (anvil's and the tracer's).
    const rpc = /** @type {(req: { method: string; params: unknown[] }) => Promise<any>} */ (pub.request);
    await rpc({ method: "anvil_setCode", params: [relay, relayCode(table)] });
    let worst = { ratio: 0, name: "", ms: 0, gas: 0, bytesPerGas: 0 };
    for (const [name, n, b] of SHAPES) {
      const calldata = HOSTILE[name](n, b);
      const label = `${name}(${n}, ${b})`;
      const trace = await rpc({
        method: "debug_traceCall",
        params: [
          { from: account.address, to: relay, data: toHex(calldata), gas: toHex(30_000_000) },
          "latest",
          { tracer: "callTracer" },
        ],
      });
      const frame = trace.calls?.[1];
      if (trace.error !== undefined || frame === undefined || frame.error !== undefined) {
        throw new Error(`${label} is not accepted: ${trace.error ?? frame?.error ?? "no call"}`);
      }
      const gas = Number(BigInt(frame.gasUsed));
      const [shared] = decodeFunctionResult({
        abi: ExecutionTable.abi,
        functionName: "postAndVerifyBatch",
        data: frame.output,
      });
      // The reader's budget for this frame (used + a quarter for refunds).
      const budgetGas = BigInt(gas) + BigInt(gas) / 4n + 1n;
      const d = () => eezBatchDigest(calldata, { gas: budgetGas });
      if (toHex(d().shared) !== shared) throw new Error(`${label}: digest differs from the contract's`);
      const ms = steadyMs(d);
      const ratio = ms / (gas / 1e6);
      const bytesPerGas = hashedBytes(calldata, budgetGas) / gas;
      console.log(
        `  hostile ${label}: ${ms.toFixed(3)} ms, ${gas} gas, ${bytesPerGas.toFixed(2)} B/gas, ${ratio.toFixed(2)} ms/Mgas`,
      );
      if (ratio > worst.ratio) worst = { ratio, name: label, ms, gas, bytesPerGas };
    }
    return worst;
  } finally {
    await anvil.stop();
  }
}

export async function run() {
  await keccakReady;
  const calldata = encodePostAndVerifyBatch(batch(1000));
  let sink = 0;
  const digest = () => {
    sink ^= eezBatchDigest(calldata).shared[0];
  };
  const raw = () => {
    sink ^= keccak_256(calldata)[0];
  };
  // The WebAssembly keccak the digest itself uses for large buffers.
  const rawWasm = () => {
    sink ^= keccak256Bulk(calldata)[0];
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
  const msRawWasm = median(Array.from({ length: 5 }, () => timeIt(rawWasm, 7)));
  // keccak throughput on this machine, for reading the hostile figure.
  const mb = new Uint8Array(1 << 20);
  const keccakMBps = 1 / (steadyMs(() => keccak256Bulk(mb)) / 1000);
  if (sink === -1) console.log(sink);
  const worst = await hostileWorst();
  console.log(`  hostile worst: ${worst.name}; keccak ${keccakMBps.toFixed(0)} MB/s`);
  return {
    "protocol.eez_digest.hostile_worst_ms_per_mgas": worst.ratio,
    "protocol.eez_digest.hostile_worst_ms": worst.ms,
    "protocol.eez_digest.hostile_worst_gas": worst.gas,
    "protocol.eez_digest.hostile_worst_bytes_per_gas": worst.bytesPerGas,
    "protocol.eez_digest.keccak_wasm_mb_per_s": keccakMBps,
    "protocol.eez_digest.ratio_to_keccak": msRaw / msDigest,
    "protocol.eez_digest.ms_1000_entries": msDigest,
    "protocol.eez_digest.calldata_bytes_1000_entries": calldata.length,
    "protocol.eez_digest.raw_keccak_ms": msRaw,
    "protocol.eez_digest.raw_keccak_wasm_ms": msRawWasm,
    "protocol.eez_digest.ratio_to_wasm_keccak": msRawWasm / msDigest,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await run());
}
