// Wire constants and handler types of req/resp. Each response chunk is one
// varint-length-prefixed frame whose first byte is a ResponseCode.
import type { ReqRespProtocolName } from "./protocols.js";

/** First byte of every response frame. A non-zero code ends the response. */
export enum ResponseCode {
  SUCCESS = 0,
  INVALID_REQUEST = 1,
  SERVER_ERROR = 2,
  RESOURCE_UNAVAILABLE = 3,
  RATE_LIMITED = 4,
}

/** Longest error message carried in an error frame (bytes of UTF-8). */
export const MAX_ERROR_MESSAGE_BYTES = 256;

/**
 * Thrown by a handler to answer with a specific code. A handler that throws a
 * ProtocolError (e.g. an SSZ decode error) answers INVALID_REQUEST; anything
 * else answers SERVER_ERROR.
 */
export class ResponseError extends Error {
  constructor(
    readonly code: Exclude<ResponseCode, ResponseCode.SUCCESS>,
    message: string,
  ) {
    super(message);
    this.name = "ResponseError";
  }
}

export interface ReqRespRequest {
  protocol: ReqRespProtocolName;
  /** Request payload (≤ the protocol's request cap). */
  data: Uint8Array;
  /** Requesting peer id. */
  peer: string;
}

/** Produces the response chunks; each must respect the protocol's chunk and total caps. */
export type ReqRespHandler = (req: ReqRespRequest) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
