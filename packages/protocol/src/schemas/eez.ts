// Kept as one file: the schema's structs, their ABI descriptors and the digest rules change together.
// Table schema `ocp.eez.v1` (docs/spec.md §4, Appendix A): digests of EEZ
// `postAndVerifyBatch(ProofSystemBatchPerVerificationEntries)` calls, hashed
// over canonical re-encodings of the decoded structs, as the L1 contract does.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { ProtocolError } from "../errors.js";
import {
  type AbiType,
  type AbiValue,
  abiAddress,
  abiArray,
  abiBool,
  abiBytes,
  abiBytes32,
  abiDecode,
  abiEncode,
  abiInt256,
  abiReadCanonical,
  abiTuple,
  abiTypeString,
  abiUint64,
  abiUint256,
  Canonicalizer,
  compileAbi,
  defaultBudget,
  TableErrorCode,
} from "./abi.js";

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

/** Strictly decodes `postAndVerifyBatch` calldata into values. Throws only ProtocolError. */
export function decodeEezBatch(calldata: Uint8Array): ProofSystemBatchPerVerificationEntries {
  checkSelector(calldata);
  return abiDecode(BATCH_ABI, calldata, 4) as unknown as ProofSystemBatchPerVerificationEntries;
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
// Digest (fast path: re-encode straight from calldata into one scratch buffer)

export interface EezDigestOptions {
  /**
   * Versioned blob hashes of the transaction that made the call, in order;
   * `blobIndices[i]` selects from them. @default [] (a batch with blob indices then fails)
   */
  blobHashes?: readonly Uint8Array[];
  /** Output-byte budget for re-encoding. @default defaultBudget(calldata.length) */
  budget?: number;
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
  blockNumber: bigint;
  proofSystems: Uint8Array[];
  rollupIdsWithProofSystems: RollupIdWithProofSystems[];
  proofs: Uint8Array[];
}

const ENTRY_NODE = compileAbi(EXECUTION_ENTRY_ABI);
const LOOKUP_NODE = compileAbi(LOOKUP_CALL_ABI);
const ADDRESS_ARRAY = abiArray(abiAddress);
const ROLLUPS_ARRAY = abiArray(ROLLUP_ID_WITH_PROOF_SYSTEMS_ABI);
const UINT256_ARRAY = abiArray(abiUint256);
const BYTES_ARRAY = abiArray(abiBytes);
const BATCH_HEAD = 11 * 32;
const UINT64_MAX = (1n << 64n) - 1n;

function writeWord(buf: Uint8Array, at: number, v: number): void {
  buf.fill(0, at, at + 28);
  buf[at + 28] = v >>> 24;
  buf[at + 29] = (v >>> 16) & 0xff;
  buf[at + 30] = (v >>> 8) & 0xff;
  buf[at + 31] = v & 0xff;
}

/**
 * Hashes each element of a dynamic-tuple array at `arrayPos` as
 * keccak256(abi.encode(element)) into `dst` (32 bytes apart from `dstAt`).
 */
function hashElements(
  c: Canonicalizer,
  node: ReturnType<typeof compileAbi>,
  arrayPos: number,
  count: number,
  dst: Uint8Array,
  dstAt: number,
): void {
  const data = arrayPos + 32;
  for (let i = 0; i < count; i++) {
    const off = c.readSmall(data + 32 * i);
    c.len = 0;
    c.putSmall(c.reserve(32), 32); // abi.encode(struct) of a dynamic struct starts with its offset
    c.value(node, data + off);
    dst.set(keccak_256(c.out.subarray(0, c.len)), dstAt + 32 * i);
  }
}

function arrayLength(c: Canonicalizer, pos: number): number {
  const n = c.readSmall(pos);
  // [REJECT] the offsets of n elements must fit the input
  if (n > (c.end - pos - 32) / 32)
    throw new ProtocolError(TableErrorCode.TRUNCATED, `array at ${pos} past end`);
  return n;
}

/**
 * Digest of one `postAndVerifyBatch` call from its calldata. Rejects anything
 * Solidity's decoder would reject; throws only ProtocolError.
 */
export function eezBatchDigest(calldata: Uint8Array, opts: EezDigestOptions = {}): EezBatchDigest {
  checkSelector(calldata);
  const c = new Canonicalizer(calldata, opts.budget ?? defaultBudget(calldata.length));
  const tp = 4 + c.readSmall(4);
  // [REJECT] the batch head (11 words) must fit the input
  if (tp + BATCH_HEAD > calldata.length)
    throw new ProtocolError(TableErrorCode.TRUNCATED, "batch head past end");

  const entriesPos = tp + c.readSmall(tp);
  const lookupsPos = tp + c.readSmall(tp + 32);
  const nEntries = arrayLength(c, entriesPos);
  const nLookups = arrayLength(c, lookupsPos);

  // Scalars and small arrays: re-encoded into the scratch buffer, then read back.
  c.len = 0;
  const blobAt = c.tail(compileAbi(UINT256_ARRAY), tp, tp + 7 * 32);
  const blobIndices = abiReadCanonical(UINT256_ARRAY, c.out, blobAt) as bigint[];
  const txBlobs = opts.blobHashes ?? [];
  const blobHashes = blobIndices.map((ix) => {
    // [REJECT] each blob index must select one of the transaction's blobs
    if (ix >= BigInt(txBlobs.length)) {
      throw new ProtocolError(
        TableErrorCode.BLOB_INDEX_OUT_OF_RANGE,
        `blob index ${ix} but the transaction has ${txBlobs.length} blobs`,
      );
    }
    return txBlobs[Number(ix)]!;
  });
  const nBlobs = blobHashes.length;

  // Layout of the `shared` preimage: three abi.encode(bytes32[]) then two words.
  const eAt = 0;
  const lAt = eAt + 64 + 32 * nEntries;
  const bAt = lAt + 64 + 32 * nLookups;
  const tailAt = bAt + 64 + 32 * nBlobs;
  const pre = new Uint8Array(tailAt + 64);
  writeWord(pre, eAt, 32);
  writeWord(pre, eAt + 32, nEntries);
  writeWord(pre, lAt, 32);
  writeWord(pre, lAt + 32, nLookups);
  writeWord(pre, bAt, 32);
  writeWord(pre, bAt + 32, nBlobs);
  for (let i = 0; i < nBlobs; i++) {
    const h = blobHashes[i]!;
    if (h.length !== 32) throw new ProtocolError(TableErrorCode.INVALID_VALUE, "blob hash must be 32 bytes");
    pre.set(h, bAt + 64 + 32 * i);
  }

  hashElements(c, ENTRY_NODE, entriesPos, nEntries, pre, eAt + 64);
  hashElements(c, LOOKUP_NODE, lookupsPos, nLookups, pre, lAt + 64);

  // callData: keccak256 of the bytes value (its content, never the encoding).
  const cdPos = tp + c.readSmall(tp + 8 * 32);
  const cdLen = c.readSmall(cdPos);
  if (cdLen > calldata.length - cdPos - 32)
    throw new ProtocolError(TableErrorCode.TRUNCATED, "callData past end");
  const callDataHash = keccak_256(calldata.subarray(cdPos + 32, cdPos + 32 + cdLen));
  pre.set(callDataHash, tailAt);
  const crossProofSystemInteractions = calldata.slice(tp + 6 * 32, tp + 7 * 32);
  pre.set(crossProofSystemInteractions, tailAt + 32);

  // The remaining fields are not hashed but must decode, or the call reverted.
  c.len = 0;
  const psAt = c.tail(compileAbi(ADDRESS_ARRAY), tp, tp + 4 * 32);
  const rollupsAt = c.tail(compileAbi(ROLLUPS_ARRAY), tp, tp + 5 * 32);
  const proofsAt = c.tail(compileAbi(BYTES_ARRAY), tp, tp + 9 * 32);
  const bnAt = c.value(compileAbi(abiUint64), tp + 10 * 32);
  const proofSystems = abiReadCanonical(ADDRESS_ARRAY, c.out, psAt) as Uint8Array[];
  const rollupIdsWithProofSystems = abiReadCanonical(
    ROLLUPS_ARRAY,
    c.out,
    rollupsAt,
  ) as unknown as RollupIdWithProofSystems[];
  const proofs = abiReadCanonical(BYTES_ARRAY, c.out, proofsAt) as Uint8Array[];
  const blockNumber = abiReadCanonical(abiUint64, c.out, bnAt) as bigint;

  const entryHashes: Uint8Array[] = new Array(nEntries);
  for (let i = 0; i < nEntries; i++) entryHashes[i] = pre.slice(eAt + 64 + 32 * i, eAt + 96 + 32 * i);
  const lookupHashes: Uint8Array[] = new Array(nLookups);
  for (let i = 0; i < nLookups; i++) lookupHashes[i] = pre.slice(lAt + 64 + 32 * i, lAt + 96 + 32 * i);

  return {
    shared: keccak_256(pre),
    entryHashes,
    lookupHashes,
    blobHashes: blobHashes.map((h) => h.slice()),
    callDataHash,
    crossProofSystemInteractions,
    entryCount: nEntries,
    blockNumber,
    proofSystems,
    rollupIdsWithProofSystems,
    proofs,
  };
}

/** One successful postAndVerifyBatch call: its calldata and its transaction's blob hashes. */
export interface EezCall {
  calldata: Uint8Array;
  blobHashes?: readonly Uint8Array[];
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
export function eezTableDigest(calls: readonly EezCall[], opts: { budget?: number } = {}): EezTableDigest {
  const batches = calls.map((call) =>
    eezBatchDigest(call.calldata, {
      ...(call.blobHashes ? { blobHashes: call.blobHashes } : {}),
      ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
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
