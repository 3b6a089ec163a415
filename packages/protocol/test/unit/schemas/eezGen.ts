// Seeded generators for EEZ batches, a deliberately non-canonical ABI encoder,
// and conversion of our descriptors/values to viem's forms. Shared by the unit
// tests and the anvil integration tests.
import type { AbiParameter } from "viem";
import type { AbiType, AbiValue } from "../../../src/schemas/abi.js";
import type {
  ExecutionEntry,
  ExpectedL1ToL2Call,
  ExpectedLookup,
  L2ToL1Call,
  LookupCall,
  ProofSystemBatchPerVerificationEntries,
  StateDelta,
} from "../../../src/schemas/eez.js";

export type Rng = () => number;

/** mulberry32: small, fast, deterministic. Returns floats in [0, 1). */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, max: number): number => Math.floor(rng() * (max + 1));

export function randBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 255);
  return b;
}

function randBits(rng: Rng, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(int(rng, 0xffff));
  return v & ((1n << BigInt(bits)) - 1n);
}

export function uint(rng: Rng, bits = 256): bigint {
  const max = (1n << BigInt(bits)) - 1n;
  switch (int(rng, 4)) {
    case 0:
      return 0n;
    case 1:
      return max;
    case 2:
      return BigInt(int(rng, 1000));
    default:
      return randBits(rng, int(rng, bits - 1) + 1);
  }
}

export function int256(rng: Rng): bigint {
  switch (int(rng, 4)) {
    case 0:
      return -(1n << 255n);
    case 1:
      return (1n << 255n) - 1n;
    case 2:
      return -BigInt(int(rng, 1000)) - 1n;
    default: {
      const v = randBits(rng, 255);
      return rng() < 0.5 ? -v : v;
    }
  }
}

function dynBytes(rng: Rng): Uint8Array {
  const lens = [0, 1, 31, 32, 33, 64, int(rng, 100)];
  return randBytes(rng, lens[int(rng, lens.length - 1)]!);
}

function list<T>(rng: Rng, max: number, f: () => T): T[] {
  const n = rng() < 0.25 ? 0 : int(rng, max);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    // Sometimes repeat the previous element, so non-canonical encodings can alias tails.
    out.push(i > 0 && rng() < 0.15 ? out[i - 1]! : f());
  }
  return out;
}

const stateDelta = (rng: Rng): StateDelta => ({
  rollupId: uint(rng),
  currentState: randBytes(rng, 32),
  newState: randBytes(rng, 32),
  etherDelta: int256(rng),
});

const l2ToL1Call = (rng: Rng): L2ToL1Call => ({
  targetAddress: randBytes(rng, 20),
  value: uint(rng),
  data: dynBytes(rng),
  sourceAddress: randBytes(rng, 20),
  sourceRollupId: uint(rng),
  revertSpan: uint(rng),
});

const expectedL1ToL2Call = (rng: Rng): ExpectedL1ToL2Call => ({
  crossChainCallHash: randBytes(rng, 32),
  callCount: uint(rng),
  returnData: dynBytes(rng),
});

const expectedLookup = (rng: Rng): ExpectedLookup => ({
  crossChainCallHash: randBytes(rng, 32),
  returnData: dynBytes(rng),
  failed: rng() < 0.5,
  l2ToL1CallNumber: uint(rng, 64),
  lastL1ToL2CallConsumed: uint(rng, 64),
  executingLookupIndex: uint(rng, 64),
  l2ToL1Calls: list(rng, 2, () => l2ToL1Call(rng)),
  expectedL1ToL2Calls: list(rng, 2, () => expectedL1ToL2Call(rng)),
  callCount: uint(rng),
  rollingHash: randBytes(rng, 32),
});

export const randomEntry = (rng: Rng): ExecutionEntry => ({
  stateDeltas: list(rng, 3, () => stateDelta(rng)),
  proxyEntryHash: randBytes(rng, 32),
  destinationRollupId: uint(rng),
  l2ToL1Calls: list(rng, 3, () => l2ToL1Call(rng)),
  expectedL1ToL2Calls: list(rng, 2, () => expectedL1ToL2Call(rng)),
  expectedLookups: list(rng, 2, () => expectedLookup(rng)),
  callCount: uint(rng),
  returnData: dynBytes(rng),
  rollingHash: randBytes(rng, 32),
});

export const randomLookup = (rng: Rng): LookupCall => ({
  crossChainCallHash: randBytes(rng, 32),
  destinationRollupId: uint(rng),
  returnData: dynBytes(rng),
  failed: rng() < 0.5,
  l2ToL1Calls: list(rng, 2, () => l2ToL1Call(rng)),
  expectedL1ToL2Calls: list(rng, 2, () => expectedL1ToL2Call(rng)),
  expectedLookups: list(rng, 2, () => expectedLookup(rng)),
  callCount: uint(rng),
  rollingHash: randBytes(rng, 32),
  expectedStateRoots: list(rng, 3, () => ({ rollupId: uint(rng), stateRoot: randBytes(rng, 32) })),
});

export interface BatchShape {
  maxEntries?: number;
  maxLookups?: number;
  /** Number of blobs the transaction carries (blob indices are drawn below it). */
  txBlobs?: number;
}

export function randomBatch(rng: Rng, shape: BatchShape = {}): ProofSystemBatchPerVerificationEntries {
  const nPs = int(rng, 3) + 1;
  const rollups: { rollupId: bigint; proofSystemIndex: bigint[] }[] = [];
  let rid = 0n;
  for (let i = 0, n = int(rng, 3) + 1; i < n; i++) {
    rid += BigInt(int(rng, 5) + 1);
    const idx: bigint[] = [];
    for (let k = 0; k < nPs; k++) if (rng() < 0.6) idx.push(BigInt(k));
    rollups.push({ rollupId: rid, proofSystemIndex: idx });
  }
  const txBlobs = shape.txBlobs ?? 0;
  const blobIndices: bigint[] = [];
  if (txBlobs > 0)
    for (let i = 0, n = int(rng, txBlobs); i < n; i++) blobIndices.push(BigInt(int(rng, txBlobs - 1)));
  const blockNumbers = [0n, (1n << 64n) - 1n, 1n, uint(rng, 64)];
  return {
    entries: list(rng, shape.maxEntries ?? 4, () => randomEntry(rng)),
    l1ToL2lookupCalls: list(rng, shape.maxLookups ?? 3, () => randomLookup(rng)),
    transientExecutionEntryCount: uint(rng),
    transientLookupCallCount: uint(rng),
    proofSystems: Array.from({ length: nPs }, () => randBytes(rng, 20)),
    rollupIdsWithProofSystems: rollups,
    crossProofSystemInteractions: randBytes(rng, 32),
    blobIndices,
    callData: dynBytes(rng),
    proofs: Array.from({ length: nPs }, () => dynBytes(rng)),
    blockNumber: blockNumbers[int(rng, 3)]!,
  };
}

// ---------------------------------------------------------------------------
// Non-canonical encoder: same values, different bytes. Tails are written in a
// shuffled order with garbage gaps (odd lengths too) before each, `bytes`
// padding is dirty, and equal tails in one array share a single copy.

function word(v: number | bigint): Uint8Array {
  const w = new Uint8Array(32);
  let x = BigInt(v);
  for (let i = 31; i >= 0 && x > 0n; i--) {
    w[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return w;
}

function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function isDynamic(t: AbiType): boolean {
  return (
    t.kind === "bytes" ||
    t.kind === "array" ||
    (t.kind === "tuple" && t.fields.some((f) => isDynamic(f.type)))
  );
}

function staticSize(t: AbiType): number {
  return t.kind === "tuple" ? t.fields.reduce((s, f) => s + staticSize(f.type), 0) : 32;
}

function encStatic(t: AbiType, v: AbiValue): Uint8Array {
  switch (t.kind) {
    case "uint":
      return word(v as bigint);
    case "int256": {
      const x = v as bigint;
      return word(x < 0n ? x + (1n << 256n) : x);
    }
    case "address":
      return cat([new Uint8Array(12), v as Uint8Array]);
    case "bool":
      return word(v ? 1 : 0);
    case "bytes32":
      return (v as Uint8Array).slice();
    case "tuple": {
      const o = v as Record<string, AbiValue>;
      return cat(t.fields.map((f) => encStatic(f.type, o[f.name]!)));
    }
    default:
      throw new Error("not static");
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Lays out `heads` (one per part, null = static bytes given) then shuffled, gapped tails. */
function layout(rng: Rng, parts: { stat?: Uint8Array; tail?: Uint8Array }[]): Uint8Array {
  const headSize = parts.reduce((s, p) => s + (p.stat ? p.stat.length : 32), 0);
  const head = new Uint8Array(headSize);
  const dynIdx = parts.map((p, i) => (p.tail ? i : -1)).filter((i) => i >= 0);
  for (let i = dynIdx.length - 1; i > 0; i--) {
    const j = int(rng, i);
    [dynIdx[i], dynIdx[j]] = [dynIdx[j]!, dynIdx[i]!];
  }
  const tails: Uint8Array[] = [];
  const placed: { bytes: Uint8Array; at: number }[] = [];
  const offsetOf = new Map<number, number>();
  let pos = headSize;
  let first = true;
  for (const i of dynIdx) {
    const t = parts[i]!.tail!;
    const shared = placed.find((p) => sameBytes(p.bytes, t));
    if (shared) {
      offsetOf.set(i, shared.at);
      continue;
    }
    const gap = randBytes(rng, first ? int(rng, 40) + 1 : int(rng, 40));
    first = false;
    tails.push(gap, t);
    pos += gap.length;
    offsetOf.set(i, pos);
    placed.push({ bytes: t, at: pos });
    pos += t.length;
  }
  let h = 0;
  parts.forEach((p, i) => {
    if (p.stat) {
      head.set(p.stat, h);
      h += p.stat.length;
    } else {
      head.set(word(offsetOf.get(i)!), h);
      h += 32;
    }
  });
  return cat([head, ...tails, randBytes(rng, int(rng, 8))]);
}

/** Non-canonical encoding of a value, starting at its own position (tail for dynamic types). */
export function encodeScrambled(t: AbiType, v: AbiValue, rng: Rng): Uint8Array {
  if (!isDynamic(t)) return encStatic(t, v);
  switch (t.kind) {
    case "bytes": {
      const b = v as Uint8Array;
      const pad = (32 - (b.length % 32)) % 32;
      return cat([word(b.length), b, randBytes(rng, pad + int(rng, 8))]);
    }
    case "array": {
      const arr = v as AbiValue[];
      if (!isDynamic(t.item)) return cat([word(arr.length), ...arr.map((x) => encStatic(t.item, x))]);
      const tails = arr.map((x) => ({ tail: encodeScrambled(t.item, x, rng) }));
      return cat([word(arr.length), layout(rng, tails)]);
    }
    case "tuple": {
      const o = v as Record<string, AbiValue>;
      return layout(
        rng,
        t.fields.map((f) =>
          isDynamic(f.type)
            ? { tail: encodeScrambled(f.type, o[f.name]!, rng) }
            : { stat: encStatic(f.type, o[f.name]!) },
        ),
      );
    }
    default:
      throw new Error("unreachable");
  }
}

/** Non-canonical parameter-list encoding (what follows the selector). */
export function encodeParamsScrambled(params: { type: AbiType; value: AbiValue }[], rng: Rng): Uint8Array {
  return layout(
    rng,
    params.map((p) =>
      isDynamic(p.type)
        ? { tail: encodeScrambled(p.type, p.value, rng) }
        : { stat: encStatic(p.type, p.value) },
    ),
  );
}

export { staticSize };

// ---------------------------------------------------------------------------
// viem forms

export function toViemParam(t: AbiType, name?: string): AbiParameter {
  const base = name === undefined ? {} : { name };
  switch (t.kind) {
    case "uint":
      return { ...base, type: `uint${t.bits}` } as AbiParameter;
    case "array": {
      const inner = toViemParam(t.item);
      return { ...base, ...inner, type: `${inner.type}[]` } as AbiParameter;
    }
    case "tuple":
      return { ...base, type: "tuple", components: t.fields.map((f) => toViemParam(f.type, f.name)) };
    default:
      return { ...base, type: t.kind } as AbiParameter;
  }
}

const hexOf = (b: Uint8Array): `0x${string}` => `0x${Buffer.from(b).toString("hex")}`;

/** Our values (Uint8Array bytes) → viem's (0x-hex strings). */
export function toViemValue(t: AbiType, v: AbiValue): unknown {
  switch (t.kind) {
    case "address":
    case "bytes":
    case "bytes32":
      return hexOf(v as Uint8Array);
    case "array":
      return (v as AbiValue[]).map((x) => toViemValue(t.item, x));
    case "tuple": {
      const o = v as Record<string, AbiValue>;
      return Object.fromEntries(t.fields.map((f) => [f.name, toViemValue(f.type, o[f.name]!)]));
    }
    default:
      return v;
  }
}

/** Reads the absolute position of entry `i`'s tuple in postAndVerifyBatch calldata. */
export function entryPosition(calldata: Uint8Array, i: number): number {
  const at = (p: number): number => Number(BigInt(hexOf(calldata.subarray(p, p + 32))));
  const tp = 4 + at(4);
  const entries = tp + at(tp);
  return entries + 32 + at(entries + 32 + 32 * i);
}
