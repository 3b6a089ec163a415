// Error codes of the SSZ layer. Every decoder and encoder here throws only
// ProtocolError<SszErrorCode>, so gossip validation can REJECT on any of them.
import { ProtocolError } from "../errors.js";

export enum SszErrorCode {
  /** Longer than the type's (or the topic's / frame's) maximum. A nested list over its limit too. */
  OVERSIZED = "SSZ_ERROR_OVERSIZED",
  /** Shorter than the type's minimum, or a partial element of a fixed-size list. */
  TRUNCATED = "SSZ_ERROR_TRUNCATED",
  /** A fixed-size value followed by extra bytes. */
  TRAILING_BYTES = "SSZ_ERROR_TRAILING_BYTES",
  /** An offset out of range, not canonical (first ≠ fixed part), or decreasing. */
  BAD_OFFSET = "SSZ_ERROR_BAD_OFFSET",
  /** Unknown union selector (evidence kind). */
  BAD_SELECTOR = "SSZ_ERROR_BAD_SELECTOR",
  /** Well-formed SSZ whose value the protocol does not allow (chainId > 2^53-1, count > 64). */
  OUT_OF_RANGE = "SSZ_ERROR_OUT_OF_RANGE",
  /** Anything else wrong with the input bytes (not a Uint8Array, empty table frame…). */
  INVALID = "SSZ_ERROR_INVALID",
  /** encode*: the value to encode is malformed (wrong byte length, integer out of range…). */
  INVALID_VALUE = "SSZ_ERROR_INVALID_VALUE",
}

export type SszError = ProtocolError<SszErrorCode>;

export function sszError(code: SszErrorCode, detail: string): ProtocolError<SszErrorCode> {
  return new ProtocolError(code, detail);
}
