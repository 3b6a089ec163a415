// Verifier sets (docs/spec.md §3): validation of set data (PoPs, no duplicate or
// negated keys, quorum ≥ 2/3), setId, quorum arithmetic and set lookup by slot.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { type BlsBackend, BlsErrorCode, type BlsPublicKey } from "./bls/interface.js";
import { isProtocolError, ProtocolError } from "./errors.js";
import { bytesEqual, toHex } from "./hex.js";
import type { Quorum, VerifierEntry, VerifierSetData } from "./types.js";
import { MAX_VERIFIERS_PER_SET, UINT64_MAX } from "./types.js";

export enum SetErrorCode {
  MALFORMED = "SET_ERROR_MALFORMED",
  EMPTY = "SET_ERROR_EMPTY",
  TOO_MANY_VERIFIERS = "SET_ERROR_TOO_MANY_VERIFIERS",
  INVALID_KEY = "SET_ERROR_INVALID_KEY",
  INFINITY_KEY = "SET_ERROR_INFINITY_KEY",
  DUPLICATE_KEY = "SET_ERROR_DUPLICATE_KEY",
  NEGATED_KEY = "SET_ERROR_NEGATED_KEY",
  BAD_POP = "SET_ERROR_BAD_POP",
  INVALID_WEIGHT = "SET_ERROR_INVALID_WEIGHT",
  BAD_QUORUM = "SET_ERROR_BAD_QUORUM",
  QUORUM_TOO_LOW = "SET_ERROR_QUORUM_TOO_LOW",
  DUPLICATE_ACTIVATION_SLOT = "SET_ERROR_DUPLICATE_ACTIVATION_SLOT",
  DUPLICATE_EPOCH = "SET_ERROR_DUPLICATE_EPOCH",
  EPOCH_ORDER = "SET_ERROR_EPOCH_ORDER",
}

/** A validated verifier set with its keys decoded once, for the backend that built it. */
export interface VerifierSet {
  readonly epoch: bigint;
  readonly activationSlot: bigint;
  readonly quorum: Readonly<Quorum>;
  /** Copies of the entries the set was built from (pubkey, weight, pop), in order. */
  readonly verifiers: readonly Readonly<VerifierEntry>[];
  /** Decoded keys, index-aligned with `verifiers`. */
  readonly pubkeys: readonly BlsPublicKey[];
  readonly weights: readonly bigint[];
  readonly totalWeight: bigint;
  readonly size: number;
  readonly keysHash: Uint8Array;
  readonly setId: Uint8Array;
  readonly setIdHex: `0x${string}`;
  readonly bls: BlsBackend;
}

const fail = (code: SetErrorCode, detail?: string): ProtocolError<SetErrorCode> =>
  new ProtocolError(code, detail);

const isUint64 = (v: unknown): v is bigint => typeof v === "bigint" && v >= 0n && v <= UINT64_MAX;

function putUint64Word(buf: Uint8Array, offset: number, v: bigint): void {
  for (let i = 31; i >= 24; i--) {
    buf[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** keccak256 of the 48-byte pubkeys concatenated in order. */
export function computeKeysHash(pubkeys: readonly Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(pubkeys.length * 48);
  for (let i = 0; i < pubkeys.length; i++) buf.set(pubkeys[i]!, i * 48);
  return keccak_256(buf);
}

/**
 * setId = keccak256(abi.encode(uint64 epoch, bytes32 keysHash, uint64[] weights,
 * uint64 num, uint64 den)): five head words (the array as an offset), then the
 * array's length and elements.
 */
export function computeSetId(
  epoch: bigint,
  keysHash: Uint8Array,
  weights: readonly bigint[],
  quorum: Quorum,
): Uint8Array {
  const buf = new Uint8Array(32 * (6 + weights.length));
  putUint64Word(buf, 0, epoch);
  buf.set(keysHash, 32);
  putUint64Word(buf, 64, 5n * 32n);
  putUint64Word(buf, 96, BigInt(quorum.numerator));
  putUint64Word(buf, 128, BigInt(quorum.denominator));
  putUint64Word(buf, 160, BigInt(weights.length));
  for (let i = 0; i < weights.length; i++) putUint64Word(buf, 192 + 32 * i, weights[i]!);
  return keccak_256(buf);
}

/** Exact check of docs/spec.md §3's quorum rule: numerator/denominator ≥ 2/3. */
export function validateQuorum(q: unknown): asserts q is Quorum {
  const { numerator, denominator } = (q ?? {}) as Partial<Quorum>;
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator)) {
    throw fail(SetErrorCode.BAD_QUORUM, "numerator and denominator must be integers");
  }
  const num = numerator as number;
  const den = denominator as number;
  if (den <= 0 || num < 0 || num > den) throw fail(SetErrorCode.BAD_QUORUM, `${num}/${den}`);
  if (3n * BigInt(num) < 2n * BigInt(den)) throw fail(SetErrorCode.QUORUM_TOO_LOW, `${num}/${den} < 2/3`);
}

/** Strict weighted quorum: signedWeight · den > totalWeight · num. */
export function quorumReached(set: VerifierSet, signedWeight: bigint): boolean {
  return signedWeight * BigInt(set.quorum.denominator) > set.totalWeight * BigInt(set.quorum.numerator);
}

/** The key's x-coordinate encoding: compressed bytes with the y-sign flag cleared. */
function xKey(pubkey: Uint8Array): string {
  const masked = pubkey.slice();
  masked[0]! &= ~0x20;
  return toHex(masked);
}

// PoP checks cost ~30 ms per key (noble hash-to-curve), so successful ones are
// remembered by exact bytes: reloading a set, or the next epoch's set with
// mostly the same keys, costs nothing. Pure function of the bytes, so safe.
const POP_CACHE_MAX = 65_536;
const verifiedPops = new Set<string>();

export interface BuildVerifierSetOptions {
  /** @default blst from `@ocp/protocol`, noble from `@ocp/protocol/light` */
  bls?: BlsBackend;
}

/**
 * Validates set data and decodes its keys with `bls`; throws only
 * ProtocolError<SetErrorCode>. The entry points' `buildVerifierSet` picks
 * their default backend and calls this, so this module loads no backend.
 */
export function buildVerifierSetWith(bls: BlsBackend, data: VerifierSetData): VerifierSet {
  try {
    return buildUnchecked(data, bls);
  } catch (e) {
    if (isProtocolError(e) && (Object.values(SetErrorCode) as string[]).includes(e.code)) {
      throw e;
    }
    throw fail(SetErrorCode.MALFORMED, e instanceof Error ? e.message : String(e));
  }
}

function buildUnchecked(data: VerifierSetData, bls: BlsBackend): VerifierSet {
  if (typeof data !== "object" || data === null) throw fail(SetErrorCode.MALFORMED, "not an object");
  const { epoch, activationSlot, quorum, verifiers } = data;
  if (!isUint64(epoch)) throw fail(SetErrorCode.MALFORMED, "epoch must be a uint64 bigint");
  if (!isUint64(activationSlot)) throw fail(SetErrorCode.MALFORMED, "activationSlot must be a uint64 bigint");
  validateQuorum(quorum);
  if (!Array.isArray(verifiers)) throw fail(SetErrorCode.MALFORMED, "verifiers must be an array");
  if (verifiers.length === 0) throw fail(SetErrorCode.EMPTY);
  if (verifiers.length > MAX_VERIFIERS_PER_SET) {
    throw fail(SetErrorCode.TOO_MANY_VERIFIERS, `${verifiers.length} > ${MAX_VERIFIERS_PER_SET}`);
  }

  const entries: VerifierEntry[] = [];
  const pubkeys: BlsPublicKey[] = [];
  const weights: bigint[] = [];
  const seen = new Map<string, number>();
  let totalWeight = 0n;
  for (let i = 0; i < verifiers.length; i++) {
    const v = verifiers[i] as Partial<VerifierEntry> | undefined;
    if (typeof v !== "object" || v === null) throw fail(SetErrorCode.MALFORMED, `verifiers[${i}]`);
    if (!(v.pubkey instanceof Uint8Array) || v.pubkey.length !== 48) {
      throw fail(SetErrorCode.MALFORMED, `verifiers[${i}].pubkey must be 48 bytes`);
    }
    if (!(v.pop instanceof Uint8Array) || v.pop.length !== 96) {
      throw fail(SetErrorCode.MALFORMED, `verifiers[${i}].pop must be 96 bytes`);
    }
    // weights enter setId as uint64
    if (!isUint64(v.weight) || v.weight === 0n) {
      throw fail(SetErrorCode.INVALID_WEIGHT, `verifiers[${i}].weight must be in [1, 2^64)`);
    }
    let key: BlsPublicKey;
    try {
      key = bls.publicKeyFromBytes(v.pubkey);
    } catch (e) {
      const code =
        isProtocolError(e) && e.code === BlsErrorCode.INFINITY
          ? SetErrorCode.INFINITY_KEY
          : SetErrorCode.INVALID_KEY;
      throw fail(code, `verifiers[${i}].pubkey: ${e instanceof Error ? e.message : String(e)}`);
    }
    // [REJECT] no key twice, nor a key and its negation (same x-coordinate)
    const x = xKey(v.pubkey);
    const prev = seen.get(x);
    if (prev !== undefined) {
      const same = bytesEqual(entries[prev]!.pubkey, v.pubkey);
      throw fail(
        same ? SetErrorCode.DUPLICATE_KEY : SetErrorCode.NEGATED_KEY,
        `verifiers[${i}] and verifiers[${prev}]`,
      );
    }
    seen.set(x, i);
    entries.push(Object.freeze({ pubkey: v.pubkey.slice(), weight: v.weight, pop: v.pop.slice() }));
    pubkeys.push(key);
    weights.push(v.weight);
    totalWeight += v.weight;
  }

  checkPops(bls, entries, pubkeys);

  const keysHash = computeKeysHash(entries.map((e) => e.pubkey));
  const q = Object.freeze({ numerator: quorum.numerator, denominator: quorum.denominator });
  const setId = computeSetId(epoch, keysHash, weights, q);
  return Object.freeze({
    epoch,
    activationSlot,
    quorum: q,
    verifiers: Object.freeze(entries),
    pubkeys: Object.freeze(pubkeys),
    weights: Object.freeze(weights),
    totalWeight,
    size: entries.length,
    keysHash,
    setId,
    setIdHex: toHex(setId),
    bls,
  });
}

function checkPops(
  bls: BlsBackend,
  entries: readonly VerifierEntry[],
  pubkeys: readonly BlsPublicKey[],
): void {
  const pending: number[] = [];
  const cacheKeys = entries.map((e) => `${bls.name}:${toHex(e.pubkey)}${toHex(e.pop).slice(2)}`);
  for (let i = 0; i < entries.length; i++) if (!verifiedPops.has(cacheKeys[i]!)) pending.push(i);
  if (pending.length === 0) return;
  const ok = bls.popVerifyBatch(pending.map((i) => ({ pubkey: pubkeys[i]!, pop: entries[i]!.pop })));
  if (!ok) {
    // Name the culprit: the batch only says "some proof is bad".
    for (const i of pending) {
      // [REJECT] every key proves possession
      if (!bls.popVerify(pubkeys[i]!, entries[i]!.pop)) throw fail(SetErrorCode.BAD_POP, `verifiers[${i}]`);
    }
    throw fail(SetErrorCode.BAD_POP, "batch check failed");
  }
  if (verifiedPops.size + pending.length > POP_CACHE_MAX) verifiedPops.clear();
  for (const i of pending) verifiedPops.add(cacheKeys[i]!);
}

/** Per set, the index of each pubkey (hex): built on the first lookup, dropped with the set. */
const indexByPubkey = new WeakMap<VerifierSet, Map<string, number>>();

/**
 * The index of `pubkey` in `set.verifiers`, or -1 if it is not a member.
 * A node looks up each of its keys at each signing and each certificate, so
 * the set's index is built once (one pass over its keys) and every lookup is
 * one hash of the key, not a scan of up to 4,096 keys.
 */
export function verifierIndexOf(set: VerifierSet, pubkey: Uint8Array): number {
  let index = indexByPubkey.get(set);
  if (index === undefined) {
    index = new Map();
    for (let i = 0; i < set.verifiers.length; i++) index.set(toHex(set.verifiers[i]!.pubkey), i);
    indexByPubkey.set(set, index);
  }
  return index.get(toHex(pubkey)) ?? -1;
}

/**
 * The set governing `slot`: greatest activationSlot ≤ slot. Throws
 * SET_ERROR_DUPLICATE_ACTIVATION_SLOT if two sets tie for it.
 */
export function governingSet(sets: readonly VerifierSet[], slot: bigint): VerifierSet | undefined {
  let best: VerifierSet | undefined;
  let tie = false;
  for (const s of sets) {
    if (s.activationSlot > slot) continue;
    if (best === undefined || s.activationSlot > best.activationSlot) {
      best = s;
      tie = false;
    } else if (s.activationSlot === best.activationSlot && s.setIdHex !== best.setIdHex) {
      tie = true;
    }
  }
  if (tie) throw fail(SetErrorCode.DUPLICATE_ACTIVATION_SLOT, `activation slot ${best?.activationSlot}`);
  return best;
}

/**
 * The sets a node knows, consistent by construction: one set per activation
 * slot and per epoch, epochs increasing with activation slot.
 */
export class VerifierSetRegistry {
  /** Sorted by activationSlot ascending. */
  private readonly sorted: VerifierSet[] = [];
  private readonly byId = new Map<string, VerifierSet>();

  constructor(sets: Iterable<VerifierSet> = []) {
    for (const s of sets) this.add(s);
  }

  /** Adds a set; the same set again is a no-op; a conflicting one throws. */
  add(set: VerifierSet): void {
    if (this.byId.has(set.setIdHex)) return;
    for (const s of this.sorted) {
      if (s.activationSlot === set.activationSlot) {
        throw fail(SetErrorCode.DUPLICATE_ACTIVATION_SLOT, `activation slot ${set.activationSlot}`);
      }
      if (s.epoch === set.epoch) throw fail(SetErrorCode.DUPLICATE_EPOCH, `epoch ${set.epoch}`);
      if (s.activationSlot < set.activationSlot !== s.epoch < set.epoch) {
        throw fail(SetErrorCode.EPOCH_ORDER, `epoch ${set.epoch} vs ${s.epoch}`);
      }
    }
    let i = this.sorted.length;
    while (i > 0 && this.sorted[i - 1]!.activationSlot > set.activationSlot) i--;
    this.sorted.splice(i, 0, set);
    this.byId.set(set.setIdHex, set);
  }

  get(setId: Uint8Array): VerifierSet | undefined {
    return setId instanceof Uint8Array && setId.length === 32 ? this.byId.get(toHex(setId)) : undefined;
  }

  getByEpoch(epoch: bigint): VerifierSet | undefined {
    return this.sorted.find((s) => s.epoch === epoch);
  }

  /** The set governing `slot`, if any set is active by then. */
  governing(slot: bigint): VerifierSet | undefined {
    for (let i = this.sorted.length - 1; i >= 0; i--) {
      if (this.sorted[i]!.activationSlot <= slot) return this.sorted[i];
    }
    return undefined;
  }

  get size(): number {
    return this.sorted.length;
  }

  values(): readonly VerifierSet[] {
    return this.sorted.slice();
  }
}
