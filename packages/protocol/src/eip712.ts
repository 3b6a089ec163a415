// EIP-712 signing roots of docs/spec.md §3: observationRoot (what verifiers BLS-sign)
// and commitmentRoot (what builders sign with secp256k1).
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import type { Commitment, Domain, Observation } from "./types.js";
import { DOMAIN_NAME, DOMAIN_VERSION } from "./types.js";

export const EIP712_DOMAIN_TYPE =
  "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
export const OBSERVATION_TYPE =
  "Observation(bytes32 stream,uint64 slot,uint64 l1BlockNumber,bytes32 l1BlockHash,bytes32 schema,bytes32 tableDigest,uint32 entryCount)";
// A nested struct's type string is appended after the outer one (EIP-712 encodeType).
export const COMMITMENT_TYPE = `Commitment(Observation observation,address builder)${OBSERVATION_TYPE}`;

const DOMAIN_TYPEHASH = keccak_256(utf8ToBytes(EIP712_DOMAIN_TYPE));
const NAME_HASH = keccak_256(utf8ToBytes(DOMAIN_NAME));
const VERSION_HASH = keccak_256(utf8ToBytes(DOMAIN_VERSION));
export const OBSERVATION_TYPEHASH = keccak_256(utf8ToBytes(OBSERVATION_TYPE));
export const COMMITMENT_TYPEHASH = keccak_256(utf8ToBytes(COMMITMENT_TYPE));

function putUint(buf: Uint8Array, wordOffset: number, value: bigint | number): void {
  let v = BigInt(value);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    buf[wordOffset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Right-aligns `bytes` (≤ 32) in the 32-byte word at `wordOffset`. */
function putRight(buf: Uint8Array, wordOffset: number, bytes: Uint8Array): void {
  buf.set(bytes, wordOffset + 32 - bytes.length);
}

export function domainSeparator(domain: Domain): Uint8Array {
  const buf = new Uint8Array(32 * 5);
  buf.set(DOMAIN_TYPEHASH, 0);
  buf.set(NAME_HASH, 32);
  buf.set(VERSION_HASH, 64);
  putUint(buf, 96, domain.chainId);
  putRight(buf, 128, domain.verifyingContract);
  return keccak_256(buf);
}

/** hashStruct(Observation). */
export function observationStructHash(o: Observation): Uint8Array {
  const buf = new Uint8Array(32 * 8);
  buf.set(OBSERVATION_TYPEHASH, 0);
  buf.set(o.stream, 32);
  putUint(buf, 64, o.slot);
  putUint(buf, 96, o.l1BlockNumber);
  buf.set(o.l1BlockHash, 128);
  buf.set(o.schema, 160);
  buf.set(o.tableDigest, 192);
  putUint(buf, 224, o.entryCount);
  return keccak_256(buf);
}

/** hashStruct(Commitment): the nested Observation enters as its own struct hash. */
export function commitmentStructHash(c: Commitment): Uint8Array {
  const buf = new Uint8Array(32 * 3);
  buf.set(COMMITMENT_TYPEHASH, 0);
  buf.set(observationStructHash(c.observation), 32);
  putRight(buf, 64, c.builder);
  return keccak_256(buf);
}

function typedDataDigest(separator: Uint8Array, structHash: Uint8Array): Uint8Array {
  const buf = new Uint8Array(66);
  buf[0] = 0x19;
  buf[1] = 0x01;
  buf.set(separator, 2);
  buf.set(structHash, 34);
  return keccak_256(buf);
}

// Domain separators are few (one per network) and recomputed on every
// message otherwise; cache by (chainId, contract).
const separatorCache = new Map<string, Uint8Array>();
function cachedSeparator(domain: Domain): Uint8Array {
  let key = `${domain.chainId}:`;
  for (const b of domain.verifyingContract) key += String.fromCharCode(b);
  let sep = separatorCache.get(key);
  if (sep === undefined) {
    sep = domainSeparator(domain);
    if (separatorCache.size > 64) separatorCache.clear();
    separatorCache.set(key, sep);
  }
  return sep;
}

/** The 32-byte message every verifier BLS-signs. */
export function observationRoot(domain: Domain, o: Observation): Uint8Array {
  return typedDataDigest(cachedSeparator(domain), observationStructHash(o));
}

/** The 32-byte message a builder signs with secp256k1. */
export function commitmentRoot(domain: Domain, c: Commitment): Uint8Array {
  return typedDataDigest(cachedSeparator(domain), commitmentStructHash(c));
}
