// ocp.eez.v1 digest throughput: a 1,000-entry batch digested from calldata,
// against raw keccak256 over the same ABI-encoded bytes (measured in one run;
// `ratio_to_keccak` against @noble/hashes as before, `ratio_to_wasm_keccak`
// against the WebAssembly keccak the digest now uses for large buffers);
// and the worst hostile layout found, in ms of digest time per million gas
// the call used on chain (each layout is posted to the devnet ExecutionTable
// on anvil: it must be accepted, its gas is eth_estimateGas of the real call,
// and our digest must equal the contract's).

import { keccak_256 } from "@noble/hashes/sha3.js";
import { ExecutionTable } from "@ocp/contracts";
import { startAnvil } from "@ocp/node/devnet";
import {
  eezBatchDigest,
  encodePostAndVerifyBatch,
  keccak256Bulk,
  keccakReady,
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
const HOSTILE = {
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

/** @type {[string, number, number][]} [family, n, b] tried; the worst ratio is reported. */
const SHAPES = [
  ["aliased_calls_blob", 16, 8192],
  ["aliased_calls_blob", 24, 4096],
  ["aliased_calls_blob", 32, 4096],
  ["aliased_calls_blob", 48, 2048],
  ["aliased_calls_blob", 64, 4096],
  ["aliased_calls_blob", 96, 2048],
  ["aliased_calls_blob", 400, 1024],
  ["aliased_calls_blob", 2000, 128],
  ["aliased_calls_blob", 4000, 0],
  ["distinct_entries_blob", 200, 2048],
  ["distinct_entries_blob", 1000, 256],
  ["distinct_entries_blob", 3000, 0],
  ["far_entries", 3000, 0],
  ["nested_aliases", 40, 512],
  ["nested_aliases", 60, 0],
  ["many_deltas", 4000, 0],
];

async function hostileWorst() {
  const anvil = await startAnvil();
  try {
    const account = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const transport = http(anvil.rpcUrl);
    const pub = createPublicClient({ chain: foundry, transport });
    const wallet = createWalletClient({ account, chain: foundry, transport });
    const hash = await wallet.deployContract({ abi: ExecutionTable.abi, bytecode: ExecutionTable.bytecode });
    const table = (await pub.waitForTransactionReceipt({ hash })).contractAddress;
    let worst = { ratio: 0, name: "", ms: 0, gas: 0n };
    for (const [name, n, b] of SHAPES) {
      const calldata = HOSTILE[name](n, b);
      const data = toHex(calldata);
      const gas = await pub.estimateGas({ account, to: table, data }).catch((e) => {
        throw new Error(`${name}(${n}, ${b}) is not accepted: ${e.shortMessage ?? e.message}`);
      });
      const [shared] = decodeFunctionResult({
        abi: ExecutionTable.abi,
        functionName: "postAndVerifyBatch",
        data: /** @type {`0x${string}`} */ ((await pub.call({ account, to: table, data })).data),
      });
      const d = () => eezBatchDigest(calldata, { gas });
      if (toHex(d().shared) !== shared) throw new Error(`${name}: digest differs from the contract's`);
      for (let i = 0; i < 10; i++) d();
      const ms = median(Array.from({ length: 7 }, () => timeIt(d, 3)));
      const ratio = ms / (Number(gas) / 1e6);
      console.log(
        `  hostile ${name}(${n}, ${b}): ${ms.toFixed(2)} ms, ${gas} gas, ${ratio.toFixed(2)} ms/Mgas`,
      );
      if (ratio > worst.ratio) worst = { ratio, name: `${name}(${n}, ${b})`, ms, gas };
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
  if (sink === -1) console.log(sink);
  const worst = await hostileWorst();
  console.log(`  hostile worst: ${worst.name}`);
  return {
    "protocol.eez_digest.hostile_worst_ms_per_mgas": worst.ratio,
    "protocol.eez_digest.hostile_worst_ms": worst.ms,
    "protocol.eez_digest.hostile_worst_gas": Number(worst.gas),
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
