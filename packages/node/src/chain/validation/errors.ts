// Error codes of gossip validation, one string enum per topic, and the helpers
// that raise them as the network layer's GossipActionError (IGNORE | REJECT).
import { isProtocolError, SszErrorCode } from "@ocp/protocol";
import {
  GossipAction,
  GossipActionError,
  GossipFutureSlotError,
  GossipUnknownSetError,
} from "../../network/errors.js";

export enum CommitmentErrorCode {
  UNKNOWN_DOMAIN = "COMMITMENT_ERROR_UNKNOWN_DOMAIN",
  UNKNOWN_STREAM = "COMMITMENT_ERROR_UNKNOWN_STREAM",
  SLOT_TOO_OLD = "COMMITMENT_ERROR_SLOT_TOO_OLD",
  SLOT_FROM_FUTURE = "COMMITMENT_ERROR_SLOT_FROM_FUTURE",
  BUILDER_NOT_ALLOWED = "COMMITMENT_ERROR_BUILDER_NOT_ALLOWED",
  /** A builder outside the allowlist over the slot's or the peer's small budget (checked before any crypto). */
  UNLISTED_OVER_BUDGET = "COMMITMENT_ERROR_UNLISTED_OVER_BUDGET",
  /** A builder outside the allowlist whose observation is not (yet) this node's own: not relayed, not kept. */
  UNLISTED_NOT_OURS = "COMMITMENT_ERROR_UNLISTED_NOT_OURS",
  /** Bad, high-s or wrong-builder signature; detail carries the BuilderSigErrorCode. */
  INVALID_SIGNATURE = "COMMITMENT_ERROR_INVALID_SIGNATURE",
  ALREADY_SEEN = "COMMITMENT_ERROR_ALREADY_SEEN",
  OVER_ALLOWANCE = "COMMITMENT_ERROR_OVER_ALLOWANCE",
}

export enum AttestationErrorCode {
  UNKNOWN_DOMAIN = "ATTESTATION_ERROR_UNKNOWN_DOMAIN",
  UNKNOWN_STREAM = "ATTESTATION_ERROR_UNKNOWN_STREAM",
  SLOT_TOO_OLD = "ATTESTATION_ERROR_SLOT_TOO_OLD",
  SLOT_FROM_FUTURE = "ATTESTATION_ERROR_SLOT_FROM_FUTURE",
  UNKNOWN_SET = "ATTESTATION_ERROR_UNKNOWN_SET",
  /** This node's sets are not known to be current for the slot (refresh pending): nothing to judge by. */
  SETS_NOT_CURRENT = "ATTESTATION_ERROR_SETS_NOT_CURRENT",
  WRONG_SET_FOR_SLOT = "ATTESTATION_ERROR_WRONG_SET_FOR_SLOT",
  INDEX_OUT_OF_RANGE = "ATTESTATION_ERROR_INDEX_OUT_OF_RANGE",
  INVALID_SIGNATURE = "ATTESTATION_ERROR_INVALID_SIGNATURE",
  /** Not verified: the forwarding peer's signatures failed and its BLS budget is spent. */
  SENDER_BLS_BUDGET_SPENT = "ATTESTATION_ERROR_SENDER_BLS_BUDGET_SPENT",
  ALREADY_SEEN = "ATTESTATION_ERROR_ALREADY_SEEN",
  /** The index already signed two roots this slot: evidence is held, more votes count nowhere. */
  KNOWN_EQUIVOCATOR = "ATTESTATION_ERROR_KNOWN_EQUIVOCATOR",
}

/** Named apart from the protocol's CertificateErrorCode, which travels in `detail`. */
export enum CertificateGossipErrorCode {
  UNKNOWN_DOMAIN = "CERTIFICATE_ERROR_UNKNOWN_DOMAIN",
  UNKNOWN_STREAM = "CERTIFICATE_ERROR_UNKNOWN_STREAM",
  SLOT_TOO_OLD = "CERTIFICATE_ERROR_SLOT_TOO_OLD",
  SLOT_FROM_FUTURE = "CERTIFICATE_ERROR_SLOT_FROM_FUTURE",
  /** A set id this node does not know (yet): the node refreshes its sets. */
  UNKNOWN_SET = "CERTIFICATE_ERROR_UNKNOWN_SET",
  SETS_NOT_CURRENT = "CERTIFICATE_ERROR_SETS_NOT_CURRENT",
  /** verifyCertificate failed; detail starts with its CertificateErrorCode. */
  INVALID = "CERTIFICATE_ERROR_INVALID",
  /** No more signed weight than the certificate already held for the root. */
  NOT_BETTER = "CERTIFICATE_ERROR_NOT_BETTER",
}

/** Named apart from the protocol's EvidenceErrorCode, which travels in `detail`. */
export enum EvidenceGossipErrorCode {
  UNKNOWN_DOMAIN = "EVIDENCE_GOSSIP_ERROR_UNKNOWN_DOMAIN",
  UNKNOWN_STREAM = "EVIDENCE_GOSSIP_ERROR_UNKNOWN_STREAM",
  SLOT_TOO_OLD = "EVIDENCE_GOSSIP_ERROR_SLOT_TOO_OLD",
  SLOT_FROM_FUTURE = "EVIDENCE_GOSSIP_ERROR_SLOT_FROM_FUTURE",
  /** Verifier evidence under a set id this node does not know (yet). */
  UNKNOWN_SET = "EVIDENCE_GOSSIP_ERROR_UNKNOWN_SET",
  /** The evidence does not verify; detail starts with its EvidenceErrorCode. */
  INVALID = "EVIDENCE_GOSSIP_ERROR_INVALID",
  ALREADY_KNOWN = "EVIDENCE_GOSSIP_ERROR_ALREADY_KNOWN",
  /** Builder evidence about a builder neither allowlisted nor pooled here: nothing this node relies on. */
  UNKNOWN_BUILDER = "EVIDENCE_GOSSIP_ERROR_UNKNOWN_BUILDER",
  /** The slot already holds the most evidence this node keeps for one slot. */
  SLOT_FULL = "EVIDENCE_GOSSIP_ERROR_SLOT_FULL",
}

export type ValidationErrorCode =
  | CommitmentErrorCode
  | AttestationErrorCode
  | CertificateGossipErrorCode
  | EvidenceGossipErrorCode
  | SszErrorCode;

export function ignore<C extends string>(code: C, detail?: string): GossipActionError<C> {
  return new GossipActionError(GossipAction.IGNORE, code, detail);
}

/** [IGNORE] slot not started yet: the network layer may hold the message until it has (§5.3). */
export function fromFuture<C extends string>(code: C, slot: bigint): GossipFutureSlotError<C> {
  return new GossipFutureSlotError(code, slot, `slot ${slot}`);
}

/** [IGNORE] set unknown or not known current: the network layer may hold the message for a set refresh (§5.3). */
export function unknownSet<C extends string>(code: C, detail?: string): GossipUnknownSetError<C> {
  return new GossipUnknownSetError(code, detail);
}

export function reject<C extends string>(code: C, detail?: string): GossipActionError<C> {
  return new GossipActionError(GossipAction.REJECT, code, detail);
}

const SSZ_CODES = new Set<string>(Object.values(SszErrorCode));

/**
 * First step of every validator: decode the payload. Any failure is the
 * sender's fault, so it REJECTs with the SszErrorCode as the code.
 */
export function decodeOrReject<T>(decode: (bytes: Uint8Array) => T, bytes: Uint8Array): T {
  try {
    return decode(bytes);
  } catch (e) {
    if (isProtocolError(e) && SSZ_CODES.has(e.code)) throw reject(e.code as SszErrorCode, e.detail);
    throw reject(SszErrorCode.INVALID, e instanceof Error ? e.message : String(e));
  }
}
