// Equivocation evidence (docs/spec.md §3): two different observations for one
// (domain, stream, slot) signed by one builder address or one verifier key.
import { verifySignedCommitment } from "./builder.js";
import { observationRoot } from "./eip712.js";
import type { Result } from "./errors.js";
import { bytesEqual, toHex } from "./hex.js";
import type { VerifierSet, VerifierSetRegistry } from "./sets.js";
import type {
  Attestation,
  BuilderEquivocation,
  Domain,
  Observation,
  SignedCommitment,
  VerifierEquivocation,
} from "./types.js";
import { isWellFormedAttestation, isWellFormedSignedCommitment } from "./wellformed.js";

export enum EvidenceErrorCode {
  /** A message is missing fields or has fields of the wrong type or length. */
  MALFORMED = "EVIDENCE_ERROR_MALFORMED",
  /** Both messages carry the same observation: a repeat, not a conflict. */
  SAME_OBSERVATION = "EVIDENCE_ERROR_SAME_OBSERVATION",
  DIFFERENT_DOMAIN = "EVIDENCE_ERROR_DIFFERENT_DOMAIN",
  DIFFERENT_STREAM = "EVIDENCE_ERROR_DIFFERENT_STREAM",
  DIFFERENT_SLOT = "EVIDENCE_ERROR_DIFFERENT_SLOT",
  /** The two messages name different builders or verifier keys. */
  DIFFERENT_SIGNER = "EVIDENCE_ERROR_DIFFERENT_SIGNER",
  /** A signature does not verify (detail names the side and the reason). */
  BAD_SIGNATURE = "EVIDENCE_ERROR_BAD_SIGNATURE",
  /** An attestation's setId is not among the known sets. */
  UNKNOWN_SET = "EVIDENCE_ERROR_UNKNOWN_SET",
  /** An attestation's verifierIndex is outside its set. */
  INDEX_OUT_OF_RANGE = "EVIDENCE_ERROR_INDEX_OUT_OF_RANGE",
}

/** Who equivocated, where: the result of verifying a piece of evidence. */
export interface BuilderOffence {
  kind: "builder";
  /** 20-byte builder address. */
  builder: Uint8Array;
  domain: Domain;
  stream: Uint8Array;
  slot: bigint;
}

export interface VerifierOffence {
  kind: "verifier";
  /** 48-byte compressed BLS public key. */
  pubkey: Uint8Array;
  domain: Domain;
  stream: Uint8Array;
  slot: bigint;
}

export type Offence = BuilderOffence | VerifierOffence;

/**
 * Dedup key "once per offender and slot" (docs/spec.md §5 evidence [IGNORE]): two
 * pieces of evidence against the same offender for the same (domain, stream,
 * slot) share it, whichever observations they pair.
 */
export function evidenceKey(offence: Offence): string {
  const offender = offence.kind === "builder" ? offence.builder : offence.pubkey;
  const d = offence.domain;
  return `${offence.kind}:${d.chainId}:${toHex(d.verifyingContract)}:${toHex(offence.stream)}:${offence.slot}:${toHex(offender)}`;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function domainsEqual(a: Domain, b: Domain): boolean {
  return a.chainId === b.chainId && bytesEqual(a.verifyingContract, b.verifyingContract);
}

type Checked = { rootA: Uint8Array; rootB: Uint8Array };

/** The checks shared by both kinds, cheapest first. */
function checkPair(
  da: Domain,
  oa: Observation,
  db: Domain,
  ob: Observation,
): Result<Checked, EvidenceErrorCode> {
  // [REJECT] both messages must be about the same (domain, stream, slot)
  if (!domainsEqual(da, db)) return { ok: false, code: EvidenceErrorCode.DIFFERENT_DOMAIN };
  if (!bytesEqual(oa.stream, ob.stream)) return { ok: false, code: EvidenceErrorCode.DIFFERENT_STREAM };
  if (oa.slot !== ob.slot) return { ok: false, code: EvidenceErrorCode.DIFFERENT_SLOT };
  // [REJECT] the observations must differ
  const rootA = observationRoot(da, oa);
  const rootB = observationRoot(db, ob);
  if (bytesEqual(rootA, rootB)) return { ok: false, code: EvidenceErrorCode.SAME_OBSERVATION };
  return { ok: true, value: { rootA, rootB } };
}

// ---------------------------------------------------------------------------
// Builder equivocation

/**
 * Verifies builder equivocation: same domain, stream and slot, different
 * observations, both signatures canonical and recovering to the same builder
 * address. Accepts either order of `a` and `b`. Never throws.
 */
export function verifyBuilderEquivocation(
  ev: BuilderEquivocation,
): Result<BuilderOffence, EvidenceErrorCode> {
  const r = checkBuilderPair(ev);
  if (!r.ok) return r;
  const { domain, commitment } = ev.a;
  return {
    ok: true,
    value: {
      kind: "builder",
      builder: commitment.builder,
      domain,
      stream: commitment.observation.stream,
      slot: commitment.observation.slot,
    },
  };
}

/**
 * Pairs two signed commitments into evidence after the full verification of
 * {@link verifyBuilderEquivocation}, in canonical order (a's observationRoot
 * below b's), so a pair seen either way round is one piece of evidence.
 */
export function buildBuilderEquivocation(
  x: SignedCommitment,
  y: SignedCommitment,
): Result<BuilderEquivocation, EvidenceErrorCode> {
  const r = checkBuilderPair({ a: x, b: y });
  if (!r.ok) return r;
  return {
    ok: true,
    value: compareBytes(r.value.rootA, r.value.rootB) < 0 ? { a: x, b: y } : { a: y, b: x },
  };
}

/** The same evidence in canonical order; malformed input is returned unchanged. */
export function normalizeBuilderEquivocation(ev: BuilderEquivocation): BuilderEquivocation {
  try {
    if (!isWellFormedSignedCommitment(ev.a) || !isWellFormedSignedCommitment(ev.b)) return ev;
    const ra = observationRoot(ev.a.domain, ev.a.commitment.observation);
    const rb = observationRoot(ev.b.domain, ev.b.commitment.observation);
    return compareBytes(ra, rb) <= 0 ? ev : { a: ev.b, b: ev.a };
  } catch {
    return ev;
  }
}

function checkBuilderPair(ev: BuilderEquivocation): Result<Checked, EvidenceErrorCode> {
  try {
    if (typeof ev !== "object" || ev === null) return { ok: false, code: EvidenceErrorCode.MALFORMED };
    const { a, b } = ev;
    if (!isWellFormedSignedCommitment(a) || !isWellFormedSignedCommitment(b)) {
      return { ok: false, code: EvidenceErrorCode.MALFORMED };
    }
    const pair = checkPair(a.domain, a.commitment.observation, b.domain, b.commitment.observation);
    if (!pair.ok) return pair;
    // [REJECT] one builder: compared before any signature work, which is the costly part
    if (!bytesEqual(a.commitment.builder, b.commitment.builder)) {
      return { ok: false, code: EvidenceErrorCode.DIFFERENT_SIGNER };
    }
    // [REJECT] both signatures must be canonical and recover to that builder
    for (const [side, s] of [
      ["a", a],
      ["b", b],
    ] as const) {
      const r = verifySignedCommitment(s);
      if (!r.ok) return { ok: false, code: EvidenceErrorCode.BAD_SIGNATURE, detail: `${side}: ${r.code}` };
    }
    return pair;
  } catch (e) {
    return { ok: false, code: EvidenceErrorCode.MALFORMED, detail: String(e) };
  }
}

// ---------------------------------------------------------------------------
// Verifier equivocation

/** Where attestations' sets are looked up by setId: a registry or a plain list. */
export type VerifierSetLookup = Pick<VerifierSetRegistry, "get"> | readonly VerifierSet[];

function findSet(sets: VerifierSetLookup, setId: Uint8Array): VerifierSet | undefined {
  if (Array.isArray(sets)) return sets.find((s: VerifierSet) => bytesEqual(s.setId, setId));
  return (sets as Pick<VerifierSetRegistry, "get">).get(setId);
}

type VerifierChecked = Checked & { pubkey: Uint8Array };

/**
 * The offender is the key, not the (set, index) pair: a BLS signature covers
 * only observationRoot, so one key appearing in two sets (say epochs 3 and 4,
 * at different indices) that signs two observations for one slot has
 * equivocated. The sets need not govern the slot: the key signed either way.
 */
function checkVerifierPair(
  ev: VerifierEquivocation,
  sets: VerifierSetLookup,
): Result<VerifierChecked, EvidenceErrorCode> {
  try {
    if (typeof ev !== "object" || ev === null) return { ok: false, code: EvidenceErrorCode.MALFORMED };
    const { a, b } = ev;
    if (!isWellFormedAttestation(a) || !isWellFormedAttestation(b)) {
      return { ok: false, code: EvidenceErrorCode.MALFORMED };
    }
    const pair = checkPair(a.domain, a.observation, b.domain, b.observation);
    if (!pair.ok) return pair;
    const located: { set: VerifierSet; pubkey: Uint8Array }[] = [];
    for (const [side, att] of [
      ["a", a],
      ["b", b],
    ] as const) {
      // [REJECT] the set must be known and the index inside it
      const set = findSet(sets, att.setId);
      if (set === undefined) {
        return { ok: false, code: EvidenceErrorCode.UNKNOWN_SET, detail: `${side}: ${toHex(att.setId)}` };
      }
      if (att.verifierIndex >= set.size) {
        return {
          ok: false,
          code: EvidenceErrorCode.INDEX_OUT_OF_RANGE,
          detail: `${side}: ${att.verifierIndex} ≥ ${set.size}`,
        };
      }
      located.push({ set, pubkey: set.verifiers[att.verifierIndex]!.pubkey });
    }
    // [REJECT] one key: compared before the pairings, which are the costly part
    const pubkey = located[0]!.pubkey;
    if (!bytesEqual(pubkey, located[1]!.pubkey))
      return { ok: false, code: EvidenceErrorCode.DIFFERENT_SIGNER };
    // [REJECT] both BLS signatures must verify over their observationRoot
    const roots = [pair.value.rootA, pair.value.rootB];
    const atts = [a, b];
    for (let i = 0; i < 2; i++) {
      const side = i === 0 ? "a" : "b";
      const { set } = located[i]!;
      const att = atts[i]!;
      if (!blsVerify(set, att.verifierIndex, roots[i]!, att.signature)) {
        return {
          ok: false,
          code: EvidenceErrorCode.BAD_SIGNATURE,
          detail: `${side}: BLS signature does not verify`,
        };
      }
    }
    return { ok: true, value: { ...pair.value, pubkey } };
  } catch (e) {
    return { ok: false, code: EvidenceErrorCode.MALFORMED, detail: String(e) };
  }
}

function blsVerify(set: VerifierSet, index: number, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    // Decoding rejects bad lengths, infinity and non-subgroup points by throwing.
    const sig = set.bls.signatureFromBytes(signature);
    return set.bls.verify(set.pubkeys[index]!, message, sig);
  } catch {
    return false;
  }
}

/**
 * Verifies verifier equivocation: same domain, stream and slot, different
 * observations, both attestations' (setId, verifierIndex) resolving in `sets`
 * to the same public key, both BLS signatures valid. Either order. Never throws.
 */
export function verifyVerifierEquivocation(
  ev: VerifierEquivocation,
  sets: VerifierSetLookup,
): Result<VerifierOffence, EvidenceErrorCode> {
  const r = checkVerifierPair(ev, sets);
  if (!r.ok) return r;
  const { domain, observation } = ev.a;
  return {
    ok: true,
    value: {
      kind: "verifier",
      pubkey: r.value.pubkey.slice(),
      domain,
      stream: observation.stream,
      slot: observation.slot,
    },
  };
}

/**
 * Pairs two attestations into evidence after the full verification of
 * {@link verifyVerifierEquivocation}, in canonical order (a's observationRoot
 * below b's).
 */
export function buildVerifierEquivocation(
  x: Attestation,
  y: Attestation,
  sets: VerifierSetLookup,
): Result<VerifierEquivocation, EvidenceErrorCode> {
  const r = checkVerifierPair({ a: x, b: y }, sets);
  if (!r.ok) return r;
  return {
    ok: true,
    value: compareBytes(r.value.rootA, r.value.rootB) < 0 ? { a: x, b: y } : { a: y, b: x },
  };
}

/** The same evidence in canonical order; malformed input is returned unchanged. */
export function normalizeVerifierEquivocation(ev: VerifierEquivocation): VerifierEquivocation {
  try {
    if (!isWellFormedAttestation(ev.a) || !isWellFormedAttestation(ev.b)) return ev;
    const ra = observationRoot(ev.a.domain, ev.a.observation);
    const rb = observationRoot(ev.b.domain, ev.b.observation);
    return compareBytes(ra, rb) <= 0 ? ev : { a: ev.b, b: ev.a };
  } catch {
    return ev;
  }
}
