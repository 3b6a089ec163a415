// Error codes of the signer domain: slashing protection, doppelganger guard,
// keystores, and the validator store itself.
import type { ProtocolError } from "@ocp/protocol";

export enum SlashingErrorCode {
  /** The key already signed a different observation for this (domain, stream, slot). */
  DOUBLE_SIGN = "SLASHING_ERROR_DOUBLE_SIGN",
  /** Imported history shows two roots for this slot: nothing may be signed there again. */
  CONFLICTED = "SLASHING_ERROR_CONFLICTED",
  /** An interchange file that does not parse or has wrong-length fields. */
  INVALID_INTERCHANGE = "SLASHING_ERROR_INVALID_INTERCHANGE",
}

export enum DoppelgangerErrorCode {
  /** Still inside the start-up listening window; try again later. */
  PENDING = "DOPPELGANGER_ERROR_PENDING",
  /** Another process signs with this key; the key is disabled until restart. */
  DETECTED = "DOPPELGANGER_ERROR_DETECTED",
}

export enum KeystoreErrorCode {
  /** Not an EIP-2335 keystore (schema or JSON invalid), or unreadable. */
  INVALID = "KEYSTORE_ERROR_INVALID",
  WRONG_PASSWORD = "KEYSTORE_ERROR_WRONG_PASSWORD",
  /** The decrypted secret does not give the keystore's `pubkey`. */
  PUBKEY_MISMATCH = "KEYSTORE_ERROR_PUBKEY_MISMATCH",
  /** The secret is not a valid BLS scalar. */
  INVALID_SECRET = "KEYSTORE_ERROR_INVALID_SECRET",
}

export enum SignerErrorCode {
  /** No key with that pubkey or index is loaded. */
  UNKNOWN_KEY = "SIGNER_ERROR_UNKNOWN_KEY",
  /** The same pubkey was added twice. */
  DUPLICATE_KEY = "SIGNER_ERROR_DUPLICATE_KEY",
}

export type SignerError = ProtocolError<
  SlashingErrorCode | DoppelgangerErrorCode | KeystoreErrorCode | SignerErrorCode
>;
