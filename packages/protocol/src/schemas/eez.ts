// Kept as one file: the schema's structs, their ABI descriptors and the digest rules change together.
// Table schema `ocp.eez.v1` (docs/spec.md §4, Appendix A): digests of EEZ
// `postAndVerifyBatch(ProofSystemBatchPerVerificationEntries)` calls, hashed
// over canonical re-encodings of the decoded structs, as the L1 contract does.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { ProtocolError } from "../errors.js";
import {
  type AbiNode,
  type AbiType,
  type AbiValue,
  abiAddress,
  abiArray,
  abiBool,
  abiBytes,
  abiBytes32,
  abiEncode,
  abiInt256,
  abiReadCanonical,
  abiTuple,
  abiTypeString,
  abiUint64,
  abiUint256,
  compileAbi,
  TableErrorCode,
} from "./abi.js";
import { addPos, CalldataReader, memoryBytesForGas, type Pos, reverts } from "./calldata.js";
import { keccak256Bulk } from "./keccak.js";

export const EEZ_SCHEMA_NAME = "ocp.eez.v1";
/** Schema id: keccak256(utf8("ocp.eez.v1")). */
export const SCHEMA_EEZ_V1: Uint8Array = keccak_256(utf8ToBytes(EEZ_SCHEMA_NAME));

// ---------------------------------------------------------------------------
// Struct types (Appendix A, field order is the ABI order)

export interface StateDelta {
  rollupId: bigint;
  currentState: Uint8Array;
  newState: Uint8Array;
  etherDelta: bigint;
}
export interface L2ToL1Call {
  targetAddress: Uint8Array;
  value: bigint;
  data: Uint8Array;
  sourceAddress: Uint8Array;
  sourceRollupId: bigint;
  revertSpan: bigint;
}
export interface ExpectedL1ToL2Call {
  crossChainCallHash: Uint8Array;
  callCount: bigint;
  returnData: Uint8Array;
}
export interface ExpectedLookup {
  crossChainCallHash: Uint8Array;
  returnData: Uint8Array;
  failed: boolean;
  l2ToL1CallNumber: bigint;
  lastL1ToL2CallConsumed: bigint;
  executingLookupIndex: bigint;
  l2ToL1Calls: L2ToL1Call[];
  expectedL1ToL2Calls: ExpectedL1ToL2Call[];
  callCount: bigint;
  rollingHash: Uint8Array;
}
export interface ExecutionEntry {
  stateDeltas: StateDelta[];
  proxyEntryHash: Uint8Array;
  destinationRollupId: bigint;
  l2ToL1Calls: L2ToL1Call[];
  expectedL1ToL2Calls: ExpectedL1ToL2Call[];
  expectedLookups: ExpectedLookup[];
  callCount: bigint;
  returnData: Uint8Array;
  rollingHash: Uint8Array;
}
export interface ExpectedStateRootPerRollup {
  rollupId: bigint;
  stateRoot: Uint8Array;
}
export interface LookupCall {
  crossChainCallHash: Uint8Array;
  destinationRollupId: bigint;
  returnData: Uint8Array;
  failed: boolean;
  l2ToL1Calls: L2ToL1Call[];
  expectedL1ToL2Calls: ExpectedL1ToL2Call[];
  expectedLookups: ExpectedLookup[];
  callCount: bigint;
  rollingHash: Uint8Array;
  expectedStateRoots: ExpectedStateRootPerRollup[];
}
export interface RollupIdWithProofSystems {
  rollupId: bigint;
  proofSystemIndex: bigint[];
}
export interface ProofSystemBatchPerVerificationEntries {
  entries: ExecutionEntry[];
  l1ToL2lookupCalls: LookupCall[];
  transientExecutionEntryCount: bigint;
  transientLookupCallCount: bigint;
  proofSystems: Uint8Array[];
  rollupIdsWithProofSystems: RollupIdWithProofSystems[];
  crossProofSystemInteractions: Uint8Array;
  blobIndices: bigint[];
  callData: Uint8Array;
  proofs: Uint8Array[];
  blockNumber: bigint;
}

// ---------------------------------------------------------------------------
// ABI descriptors

export const STATE_DELTA_ABI = abiTuple({
  rollupId: abiUint256,
  currentState: abiBytes32,
  newState: abiBytes32,
  etherDelta: abiInt256,
});
export const L2_TO_L1_CALL_ABI = abiTuple({
  targetAddress: abiAddress,
  value: abiUint256,
  data: abiBytes,
  sourceAddress: abiAddress,
  sourceRollupId: abiUint256,
  revertSpan: abiUint256,
});
export const EXPECTED_L1_TO_L2_CALL_ABI = abiTuple({
  crossChainCallHash: abiBytes32,
  callCount: abiUint256,
  returnData: abiBytes,
});
export const EXPECTED_LOOKUP_ABI = abiTuple({
  crossChainCallHash: abiBytes32,
  returnData: abiBytes,
  failed: abiBool,
  l2ToL1CallNumber: abiUint64,
  lastL1ToL2CallConsumed: abiUint64,
  executingLookupIndex: abiUint64,
  l2ToL1Calls: abiArray(L2_TO_L1_CALL_ABI),
  expectedL1ToL2Calls: abiArray(EXPECTED_L1_TO_L2_CALL_ABI),
  callCount: abiUint256,
  rollingHash: abiBytes32,
});
export const EXECUTION_ENTRY_ABI = abiTuple({
  stateDeltas: abiArray(STATE_DELTA_ABI),
  proxyEntryHash: abiBytes32,
  destinationRollupId: abiUint256,
  l2ToL1Calls: abiArray(L2_TO_L1_CALL_ABI),
  expectedL1ToL2Calls: abiArray(EXPECTED_L1_TO_L2_CALL_ABI),
  expectedLookups: abiArray(EXPECTED_LOOKUP_ABI),
  callCount: abiUint256,
  returnData: abiBytes,
  rollingHash: abiBytes32,
});
export const EXPECTED_STATE_ROOT_PER_ROLLUP_ABI = abiTuple({ rollupId: abiUint256, stateRoot: abiBytes32 });
export const LOOKUP_CALL_ABI = abiTuple({
  crossChainCallHash: abiBytes32,
  destinationRollupId: abiUint256,
  returnData: abiBytes,
  failed: abiBool,
  l2ToL1Calls: abiArray(L2_TO_L1_CALL_ABI),
  expectedL1ToL2Calls: abiArray(EXPECTED_L1_TO_L2_CALL_ABI),
  expectedLookups: abiArray(EXPECTED_LOOKUP_ABI),
  callCount: abiUint256,
  rollingHash: abiBytes32,
  expectedStateRoots: abiArray(EXPECTED_STATE_ROOT_PER_ROLLUP_ABI),
});
export const ROLLUP_ID_WITH_PROOF_SYSTEMS_ABI = abiTuple({
  rollupId: abiUint256,
  proofSystemIndex: abiArray(abiUint64),
});
export const BATCH_ABI = abiTuple({
  entries: abiArray(EXECUTION_ENTRY_ABI),
  l1ToL2lookupCalls: abiArray(LOOKUP_CALL_ABI),
  transientExecutionEntryCount: abiUint256,
  transientLookupCallCount: abiUint256,
  proofSystems: abiArray(abiAddress),
  rollupIdsWithProofSystems: abiArray(ROLLUP_ID_WITH_PROOF_SYSTEMS_ABI),
  crossProofSystemInteractions: abiBytes32,
  blobIndices: abiArray(abiUint256),
  callData: abiBytes,
  proofs: abiArray(abiBytes),
  blockNumber: abiUint64,
});

/** Canonical signature, e.g. `postAndVerifyBatch(((uint256,bytes32,bytes32,int256)[],…))`. */
export const POST_AND_VERIFY_BATCH_SIGNATURE = `postAndVerifyBatch(${abiTypeString(BATCH_ABI)})`;
/** First 4 bytes of keccak256 of the signature. */
export const POST_AND_VERIFY_BATCH_SELECTOR: Uint8Array = keccak_256(
  utf8ToBytes(POST_AND_VERIFY_BATCH_SIGNATURE),
).slice(0, 4);

// ---------------------------------------------------------------------------
// Encoding and value decoding

/** Calldata for `postAndVerifyBatch(batch)`: selector ‖ abi.encode(batch). */
export function encodePostAndVerifyBatch(batch: ProofSystemBatchPerVerificationEntries): Uint8Array {
  return abiEncode(BATCH_ABI, batch as unknown as AbiValue, POST_AND_VERIFY_BATCH_SELECTOR);
}

function checkSelector(calldata: Uint8Array): void {
  // [REJECT] calldata must call postAndVerifyBatch
  const sel = POST_AND_VERIFY_BATCH_SELECTOR;
  if (
    calldata.length < 4 ||
    calldata[0] !== sel[0] ||
    calldata[1] !== sel[1] ||
    calldata[2] !== sel[2] ||
    calldata[3] !== sel[3]
  ) {
    throw new ProtocolError(TableErrorCode.WRONG_SELECTOR, "not a postAndVerifyBatch call");
  }
}

/**
 * Gas assumed for a call whose gas is not known: above any block's gas limit,
 * so a successful call always fits the budget it gives.
 */
export const EEZ_DEFAULT_CALL_GAS = 1n << 27n;

const BATCH_NODE = compileAbi(BATCH_ABI);
const ENTRY_NODE = compileAbi(EXECUTION_ENTRY_ABI);
const LOOKUP_NODE = compileAbi(LOOKUP_CALL_ABI);
const BATCH_HEAD = 11 * 32;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Where the batch struct starts, as the function's ABI decoder finds it: the
 * parameter's offset must be at most 2^64-1 and the struct's head must fit.
 */
function batchStart(calldata: Uint8Array, r: CalldataReader): number {
  checkSelector(calldata);
  if (calldata.length - 4 < 32) throw reverts("no parameter");
  // The usual offset (below 2^48) without a bigint.
  const small = r.smallAt(4);
  const off = small >= 0 ? small : r.word(4);
  if (off > 0xffffffffffffffffn) throw reverts("parameter offset above 2^64-1");
  const tp = 4 + Number(off);
  if (calldata.length - tp < BATCH_HEAD) throw reverts("batch head past the end");
  return tp;
}

/**
 * Decodes `postAndVerifyBatch` calldata into values, reading every field the
 * way EEZ's calldata accessors would (so it throws if reading any field would
 * revert, including fields EEZ may never read). Throws only ProtocolError.
 */
export function decodeEezBatch(
  calldata: Uint8Array,
  gas: bigint = EEZ_DEFAULT_CALL_GAS,
): ProofSystemBatchPerVerificationEntries {
  const r = new CalldataReader(calldata, memoryBytesForGas(gas));
  const tp = batchStart(calldata, r);
  const at = r.encodeTail(BATCH_NODE, tp);
  return abiReadCanonical(BATCH_ABI, r.out, at) as unknown as ProofSystemBatchPerVerificationEntries;
}

/** keccak256(abi.encode(entry)). */
export function eezEntryHash(entry: ExecutionEntry): Uint8Array {
  return keccak_256(abiEncode(EXECUTION_ENTRY_ABI, entry as unknown as AbiValue));
}

/** keccak256(abi.encode(lookupCall)). */
export function eezLookupHash(lookup: LookupCall): Uint8Array {
  return keccak_256(abiEncode(LOOKUP_CALL_ABI, lookup as unknown as AbiValue));
}

// ---------------------------------------------------------------------------
// Digest: the values EEZ computes, read from calldata as EEZ reads it

export interface EezDigestOptions {
  /**
   * Versioned blob hashes of the transaction that made the call, in order;
   * `blobIndices[i]` selects from them, and an index past them reads as zero
   * (BLOBHASH). @default []
   */
  blobHashes?: readonly Uint8Array[];
  /**
   * Gas the call used: bounds the bytes re-encoded by what EVM memory that gas
   * could pay for. @default EEZ_DEFAULT_CALL_GAS
   */
  gas?: bigint;
}

export interface EezBatchDigest {
  /** The batch digest that enters tableDigest. */
  shared: Uint8Array;
  entryHashes: Uint8Array[];
  lookupHashes: Uint8Array[];
  blobHashes: Uint8Array[];
  callDataHash: Uint8Array;
  crossProofSystemInteractions: Uint8Array;
  /** Number of ExecutionEntry items (lookups not counted). */
  entryCount: number;
}

/** The fields the `proof` checker needs, read as EEZ reads them (never hashed). */
export interface EezProofFields {
  proofSystems: Uint8Array[];
  rollupIdsWithProofSystems: RollupIdWithProofSystems[];
  proofs: Uint8Array[];
  blockNumber: bigint;
}

function writeWord(buf: Uint8Array, at: number, v: number): void {
  buf.fill(0, at, at + 28);
  buf[at + 28] = v >>> 24;
  buf[at + 29] = (v >>> 16) & 0xff;
  buf[at + 30] = (v >>> 8) & 0xff;
  buf[at + 31] = v & 0xff;
}

const ZERO_HASH = new Uint8Array(32);

/**
 * keccak256(abi.encode(array[i])) for each element of the array of dynamic
 * structs whose offset word is at `ptr` (relative to `tp`), into `dst` 32 bytes
 * apart from `dstAt` after its length. An element whose tail sits where
 * another's does has the same encoding: it is hashed once.
 */
function hashStructArray(
  r: CalldataReader,
  node: AbiNode,
  tp: number,
  ptr: number,
  lengthOf: (n: number) => { dst: Uint8Array; at: number },
): number {
  const { data, length } = r.lengthAt(r.tail(tp, ptr, 32), 32);
  // Each element costs the EVM at least its 32-byte hash slot.
  if (length * 32 > r.budget) {
    throw new ProtocolError(TableErrorCode.TOO_LARGE, "more elements than the call's gas could hash");
  }
  const { dst, at } = lengthOf(length);
  const seen = new Map<Pos, number>();
  const need = node.zeroBytes;
  for (let i = 0; i < length; i++) {
    const el = r.tail(data, addPos(data, 32 * i), need);
    const prev = seen.get(el);
    if (prev !== undefined) {
      dst.copyWithin(at + 32 * i, at + 32 * prev, at + 32 * prev + 32);
      continue;
    }
    seen.set(el, i);
    r.clearOutput();
    r.putSmall(r.reserve(32), 32); // abi.encode(struct) of a dynamic struct starts with its offset
    r.encodeTail(node, el);
    dst.set(keccak256Bulk(r.out.subarray(0, r.len)), at + 32 * i);
  }
  return length;
}

/**
 * Digest of one successful `postAndVerifyBatch` call from its calldata: the
 * entry hashes, lookup hashes and `shared` value EEZ computes for it. Reads
 * only what EEZ reads to compute them, exactly as its calldata accessors read
 * it; throws ProtocolError (REVERTS, TOO_LARGE, WRONG_SELECTOR) only for
 * calldata on which that computation reverts or runs out of gas.
 */
export function eezBatchDigest(calldata: Uint8Array, opts: EezDigestOptions = {}): EezBatchDigest {
  const r = new CalldataReader(calldata, memoryBytesForGas(opts.gas ?? EEZ_DEFAULT_CALL_GAS), digestScratch);
  try {
    return batchDigest(calldata, r, opts);
  } finally {
    // Keep the grown buffer for the next digest (nothing returned points into it).
    if (r.out.length <= SCRATCH_KEEP) digestScratch = r.out;
  }
}

// The digest's output buffer, reused across calls: a hostile batch re-encodes
// megabytes, and reallocating them per call costs more than encoding.
let digestScratch: Uint8Array = new Uint8Array(64 * 1024);
const SCRATCH_KEEP = 8 * 1024 * 1024;

function batchDigest(calldata: Uint8Array, r: CalldataReader, opts: EezDigestOptions): EezBatchDigest {
  const tp = batchStart(calldata, r);

  // blobhash(batch.blobIndices[i]): zero past the transaction's blobs.
  const txBlobs = opts.blobHashes ?? [];
  const blobs = r.lengthAt(r.tail(tp, tp + 7 * 32, 32), 32);
  if (blobs.length * 32 > r.budget) {
    throw new ProtocolError(TableErrorCode.TOO_LARGE, "more blob indices than the call's gas could read");
  }
  const blobHashes: Uint8Array[] = new Array(blobs.length);
  for (let i = 0; i < blobs.length; i++) {
    const ix = r.word(addPos(blobs.data, 32 * i));
    const h = ix < BigInt(txBlobs.length) ? txBlobs[Number(ix)]! : ZERO_HASH;
    if (h.length !== 32) throw new ProtocolError(TableErrorCode.INVALID_VALUE, "blob hash must be 32 bytes");
    blobHashes[i] = h.slice();
  }
  r.budget -= 32 * blobs.length;

  // Layout of the `shared` preimage: three abi.encode(bytes32[]) then two words.
  let entryHashes = new Uint8Array(0);
  const nEntries = hashStructArray(r, ENTRY_NODE, tp, tp, (n) => {
    entryHashes = new Uint8Array(64 + 32 * n);
    writeWord(entryHashes, 0, 32);
    writeWord(entryHashes, 32, n);
    return { dst: entryHashes, at: 64 };
  });
  let lookupHashes = new Uint8Array(0);
  const nLookups = hashStructArray(r, LOOKUP_NODE, tp, tp + 32, (n) => {
    lookupHashes = new Uint8Array(64 + 32 * n);
    writeWord(lookupHashes, 0, 32);
    writeWord(lookupHashes, 32, n);
    return { dst: lookupHashes, at: 64 };
  });

  // keccak256(batch.callData): the bytes are copied to memory first, which
  // also requires add(data, length) <= calldatasize (unsigned, wrapping).
  const cd = r.lengthAt(r.tail(tp, tp + 8 * 32, 32), 1);
  if ((posBig(cd.data) + BigInt(cd.length)) % (1n << 256n) > BigInt(calldata.length)) {
    throw reverts("callData past the end");
  }
  let callDataHash: Uint8Array;
  if (typeof cd.data === "number" && cd.data + cd.length <= calldata.length) {
    // The bytes lie inside the calldata: hash them where they are.
    if (cd.length > r.budget) {
      throw new ProtocolError(TableErrorCode.TOO_LARGE, "more than the call's gas could have copied");
    }
    r.budget -= cd.length;
    callDataHash = keccak256Bulk(calldata.subarray(cd.data, cd.data + cd.length));
  } else {
    r.clearOutput();
    const cdAt = r.reserve(cd.length);
    r.copyBytes(cd.data, cdAt, cd.length);
    callDataHash = keccak256Bulk(r.out.subarray(cdAt, cdAt + cd.length));
  }
  const crossProofSystemInteractions = calldata.slice(tp + 6 * 32, tp + 7 * 32);

  const pre = new Uint8Array(entryHashes.length + lookupHashes.length + 64 + 32 * blobs.length + 64);
  pre.set(entryHashes, 0);
  pre.set(lookupHashes, entryHashes.length);
  const bAt = entryHashes.length + lookupHashes.length;
  writeWord(pre, bAt, 32);
  writeWord(pre, bAt + 32, blobs.length);
  for (let i = 0; i < blobs.length; i++) pre.set(blobHashes[i]!, bAt + 64 + 32 * i);
  const tailAt = bAt + 64 + 32 * blobs.length;
  pre.set(callDataHash, tailAt);
  pre.set(crossProofSystemInteractions, tailAt + 32);

  const split = (buf: Uint8Array, n: number): Uint8Array[] =>
    Array.from({ length: n }, (_, i) => buf.slice(64 + 32 * i, 96 + 32 * i));
  return {
    shared: keccak256Bulk(pre),
    entryHashes: split(entryHashes, nEntries),
    lookupHashes: split(lookupHashes, nLookups),
    blobHashes,
    callDataHash,
    crossProofSystemInteractions,
    entryCount: nEntries,
  };
}

function posBig(p: Pos): bigint {
  return typeof p === "number" ? BigInt(p) : p;
}

const ADDRESS_ARRAY = abiArray(abiAddress);
const ROLLUPS_ARRAY = abiArray(ROLLUP_ID_WITH_PROOF_SYSTEMS_ABI);
const BYTES_ARRAY = abiArray(abiBytes);

/**
 * `proofSystems`, `rollupIdsWithProofSystems`, `proofs` and `blockNumber`,
 * read with the calldata accessors' rules. Throws ProtocolError (REVERTS) when
 * reading them would revert, i.e. when EEZ could not have used them.
 */
export function eezProofFields(calldata: Uint8Array, gas: bigint = EEZ_DEFAULT_CALL_GAS): EezProofFields {
  const r = new CalldataReader(calldata, memoryBytesForGas(gas));
  const tp = batchStart(calldata, r);
  const read = (t: AbiType, field: number): AbiValue => {
    r.clearOutput();
    const at = r.encodeTail(compileAbi(t), r.tail(tp, tp + 32 * field, 32));
    return abiReadCanonical(t, r.out, at);
  };
  const blockNumber = r.word(tp + 10 * 32);
  if (blockNumber > UINT64_MAX) throw reverts("dirty blockNumber");
  return {
    proofSystems: read(ADDRESS_ARRAY, 4) as Uint8Array[],
    rollupIdsWithProofSystems: read(ROLLUPS_ARRAY, 5) as unknown as RollupIdWithProofSystems[],
    proofs: read(BYTES_ARRAY, 9) as Uint8Array[],
    blockNumber,
  };
}

/** One successful postAndVerifyBatch call: its calldata and its transaction's blob hashes. */
export interface EezCall {
  calldata: Uint8Array;
  blobHashes?: readonly Uint8Array[];
  /** Gas the call used, when known (bounds the work; see EezDigestOptions.gas). */
  gas?: bigint;
}

export interface EezTableDigest {
  tableDigest: Uint8Array;
  /** ExecutionEntry items over all batches. */
  entryCount: number;
  batches: EezBatchDigest[];
}

/** tableDigest = keccak256(abi.encode(bytes32[] batchDigests)). */
export function eezTableDigestOf(batchDigests: readonly Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(64 + 32 * batchDigests.length);
  writeWord(buf, 0, 32);
  writeWord(buf, 32, batchDigests.length);
  batchDigests.forEach((d, i) => {
    if (d.length !== 32)
      throw new ProtocolError(TableErrorCode.INVALID_VALUE, "batch digest must be 32 bytes");
    buf.set(d, 64 + 32 * i);
  });
  return keccak_256(buf);
}

/** Digest of a slot's table: the successful calls in execution order. */
export function eezTableDigest(calls: readonly EezCall[]): EezTableDigest {
  const batches = calls.map((call) =>
    eezBatchDigest(call.calldata, {
      ...(call.blobHashes ? { blobHashes: call.blobHashes } : {}),
      ...(call.gas !== undefined ? { gas: call.gas } : {}),
    }),
  );
  let entryCount = 0;
  for (const b of batches) entryCount += b.entryCount;
  // [REJECT] entryCount is a uint32 in the Observation
  if (entryCount > 0xffffffff) throw new ProtocolError(TableErrorCode.TOO_LARGE, "more than 2^32-1 entries");
  return { tableDigest: eezTableDigestOf(batches.map((b) => b.shared)), entryCount, batches };
}

// ---------------------------------------------------------------------------
// Public inputs per proof system (used by the `proof` checker)

export interface EezBlockContext {
  blockHash: Uint8Array;
  timestamp: bigint;
}

/** What the caller knows of the block that executed the call. */
export interface EezBlockEnv {
  /** block.number of the executing block. */
  blockNumber: bigint;
  /** block.timestamp of the executing block. */
  timestamp: bigint;
  /** EVM `blockhash(n)` as seen from the executing block (zero outside the 256-block window). */
  blockHash(n: bigint): Uint8Array;
}

const ZERO32 = new Uint8Array(32);

/**
 * The (blockHash, timestamp) rule for `batch.blockNumber`: 0 → (0, 0);
 * type(uint64).max → (blockhash(n-1), block.timestamp); else (blockhash(blockNumber), 0).
 */
export function eezBlockContext(batchBlockNumber: bigint, env: EezBlockEnv): EezBlockContext {
  if (batchBlockNumber === 0n) return { blockHash: ZERO32.slice(), timestamp: 0n };
  if (batchBlockNumber === UINT64_MAX) {
    return { blockHash: env.blockHash(env.blockNumber - 1n), timestamp: env.timestamp };
  }
  return { blockHash: env.blockHash(batchBlockNumber), timestamp: 0n };
}

function putUint256(buf: Uint8Array, at: number, v: bigint): void {
  if (v < 0n || v >= 1n << 256n)
    throw new ProtocolError(TableErrorCode.INVALID_VALUE, "uint256 out of range");
  for (let i = 31; i >= 0; i--) {
    buf[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/**
 * publicInputsHash_k = keccak256(abi.encodePacked(shared, acc)), folding
 * acc = keccak256(abi.encode(acc, rollupId, vk, blockHash, timestamp)) over the
 * rollups that list proof system `k`, in ascending rollup id. `vkOf` returns
 * the rollup's verification key for proof system k (pinned in the node's config).
 */
export function eezPublicInputsHash(
  shared: Uint8Array,
  rollups: readonly RollupIdWithProofSystems[],
  k: bigint,
  vkOf: (rollupId: bigint, k: bigint) => Uint8Array | undefined,
  ctx: EezBlockContext,
): Uint8Array {
  if (shared.length !== 32 || ctx.blockHash.length !== 32) {
    throw new ProtocolError(TableErrorCode.INVALID_VALUE, "shared and blockHash must be 32 bytes");
  }
  const buf = new Uint8Array(160);
  buf.set(ctx.blockHash, 96);
  putUint256(buf, 128, ctx.timestamp);
  let acc: Uint8Array = new Uint8Array(32);
  let prev = -1n;
  for (const r of rollups) {
    // [REJECT] rollups must be strictly increasing by id (EEZ reverts otherwise)
    if (r.rollupId <= prev) {
      throw new ProtocolError(TableErrorCode.ROLLUPS_NOT_SORTED, `rollup ${r.rollupId} after ${prev}`);
    }
    prev = r.rollupId;
    if (!r.proofSystemIndex.includes(k)) continue;
    const vk = vkOf(r.rollupId, k);
    if (vk === undefined || vk.length !== 32) {
      throw new ProtocolError(TableErrorCode.MISSING_VK, `no vk for rollup ${r.rollupId}, proof system ${k}`);
    }
    buf.set(acc, 0);
    putUint256(buf, 32, r.rollupId);
    buf.set(vk, 64);
    acc = keccak_256(buf);
  }
  const out = new Uint8Array(64);
  out.set(shared, 0);
  out.set(acc, 32);
  return keccak_256(out);
}

/** The descriptor of a struct by its Solidity name (for tools and tests). */
export const EEZ_STRUCTS: Readonly<Record<string, AbiType>> = {
  StateDelta: STATE_DELTA_ABI,
  L2ToL1Call: L2_TO_L1_CALL_ABI,
  ExpectedL1ToL2Call: EXPECTED_L1_TO_L2_CALL_ABI,
  ExpectedLookup: EXPECTED_LOOKUP_ABI,
  ExecutionEntry: EXECUTION_ENTRY_ABI,
  ExpectedStateRootPerRollup: EXPECTED_STATE_ROOT_PER_ROLLUP_ABI,
  LookupCall: LOOKUP_CALL_ABI,
  RollupIdWithProofSystems: ROLLUP_ID_WITH_PROOF_SYSTEMS_ABI,
  ProofSystemBatchPerVerificationEntries: BATCH_ABI,
};
