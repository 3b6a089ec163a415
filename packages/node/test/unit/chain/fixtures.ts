// Test fixtures for chain/: deterministic BLS verifiers and sets (real keys and
// proofs of possession), a domain and stream, messages, and a pipeline on a
// block-number clock driven by hand.
import {
  type Attestation,
  type BlsSecretKey,
  blstBls,
  buildVerifierSet,
  type Domain,
  type Observation,
  observationRoot,
  type SignedCommitment,
  signCommitment,
  streamId,
  type VerifierSet,
  VerifierSetRegistry,
} from "@ocp/protocol";
import { BlockNumberClock } from "../../../src/chain/clock.js";
import {
  ChainPipeline,
  type ChainPipelineModules,
  type ChainPipelineOptions,
} from "../../../src/chain/index.js";

export interface TestKey {
  sk: BlsSecretKey;
  pubkey: Uint8Array;
  pop: Uint8Array;
}

const keyCache = new Map<number, TestKey>();

/** BLS key number `i`, stable across calls. */
export function testKey(i: number): TestKey {
  let k = keyCache.get(i);
  if (k === undefined) {
    const ikm = new Uint8Array(32);
    new DataView(ikm.buffer).setUint32(0, i + 1);
    ikm[31] = 0xc7;
    const sk = blstBls.keygen(ikm);
    k = { sk, pubkey: blstBls.publicKeyToBytes(blstBls.publicKey(sk)), pop: blstBls.popProve(sk) };
    keyCache.set(i, k);
  }
  return k;
}

export function testKeys(n: number, first = 0): TestKey[] {
  return Array.from({ length: n }, (_, i) => testKey(first + i));
}

export function makeSet(
  keys: readonly TestKey[],
  opts: {
    weights?: readonly bigint[];
    epoch?: bigint;
    activationSlot?: bigint;
    num?: number;
    den?: number;
  } = {},
): VerifierSet {
  return buildVerifierSet({
    epoch: opts.epoch ?? 0n,
    activationSlot: opts.activationSlot ?? 0n,
    quorum: { numerator: opts.num ?? 2, denominator: opts.den ?? 3 },
    verifiers: keys.map((k, i) => ({ pubkey: k.pubkey, weight: opts.weights?.[i] ?? 1n, pop: k.pop })),
  });
}

export const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

export const DOMAIN: Domain = { chainId: 31337, verifyingContract: bytes(20, 0xaa) };
export const OTHER_DOMAIN: Domain = { chainId: 1, verifyingContract: bytes(20, 0xbb) };
export const STREAM = streamId(1, bytes(20, 0x11));
export const OTHER_STREAM = streamId(1, bytes(20, 0x22));

export function observation(slot: bigint, tag = 0, stream: Uint8Array = STREAM): Observation {
  return {
    stream,
    slot,
    l1BlockNumber: slot,
    l1BlockHash: bytes(32, 0x30 + tag),
    schema: bytes(32, 3),
    tableDigest: bytes(32, 0x40 + tag),
    entryCount: 7 + tag,
  };
}

export function attest(
  key: TestKey,
  set: VerifierSet,
  index: number,
  obs: Observation,
  domain: Domain = DOMAIN,
): Attestation {
  return {
    domain,
    observation: obs,
    setId: set.setId,
    verifierIndex: index,
    signature: blstBls.sign(key.sk, observationRoot(domain, obs)),
  };
}

/** secp256k1 builder private key number `i` (any scalar in [1, n) works). */
export function builderKey(i: number): Uint8Array {
  const k = new Uint8Array(32);
  k[31] = i + 1;
  k[0] = 0x42;
  return k;
}

export function commit(
  builderPriv: Uint8Array,
  builder: Uint8Array,
  obs: Observation,
  domain = DOMAIN,
): SignedCommitment {
  return signCommitment(domain, { observation: obs, builder }, builderPriv);
}

export interface TestChain {
  pipeline: ChainPipeline;
  clock: BlockNumberClock;
  registry: VerifierSetRegistry;
  certificates: Parameters<NonNullable<ChainPipelineModules["onCertificate"]>>[];
  evidence: Parameters<NonNullable<ChainPipelineModules["onEvidence"]>>[0][];
}

/** A pipeline over `sets` with the clock's head at `head`. */
export function testChain(
  sets: readonly VerifierSet[],
  head: bigint,
  opts: Partial<ChainPipelineOptions> = {},
  modules: Partial<ChainPipelineModules> = {},
): TestChain {
  const clock = new BlockNumberClock({});
  clock.onHead(head);
  const registry = new VerifierSetRegistry(sets);
  const certificates: TestChain["certificates"] = [];
  const evidence: TestChain["evidence"] = [];
  const pipeline = new ChainPipeline(
    { validation: { retentionSlots: 8 }, ...opts },
    {
      domains: [DOMAIN],
      streams: [STREAM],
      clock,
      sets: registry,
      onCertificate: (...args) => certificates.push(args),
      onEvidence: (ev) => evidence.push(ev),
      ...modules,
    },
  );
  return { pipeline, clock, registry, certificates, evidence };
}
