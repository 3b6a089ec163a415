// Errors of the HTTP API: every failure answers `{code, message}` with a stable
// code; client mistakes are 4xx (never 500), server faults 500.
import { ProtocolError } from "@ocp/protocol";

export enum ApiErrorCode {
  /** Query, path or body does not match the route's schema. */
  INVALID_REQUEST = "API_ERROR_INVALID_REQUEST",
  /** The body is not JSON (or is empty, or tries prototype poisoning). */
  INVALID_JSON = "API_ERROR_INVALID_JSON",
  BODY_TOO_LARGE = "API_ERROR_BODY_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE = "API_ERROR_UNSUPPORTED_MEDIA_TYPE",
  /** Missing or wrong bearer token. */
  UNAUTHORIZED = "API_ERROR_UNAUTHORIZED",
  /** A write route while no bearer token is configured. */
  WRITES_DISABLED = "API_ERROR_WRITES_DISABLED",
  NOT_FOUND = "API_ERROR_NOT_FOUND",
  UNKNOWN_STREAM = "API_ERROR_UNKNOWN_STREAM",
  /** Too many event-stream clients at once. */
  TOO_MANY_CLIENTS = "API_ERROR_TOO_MANY_CLIENTS",
  /** The node is not running (starting or stopping). */
  NOT_READY = "API_ERROR_NOT_READY",
  INTERNAL = "API_ERROR_INTERNAL",
}

/** Thrown by handlers; `code` may also be a protocol or gossip error code passed through. */
export class ApiError extends ProtocolError<string> {
  readonly statusCode: number;

  constructor(statusCode: number, code: string, detail?: string) {
    super(code, detail);
    this.name = "ApiError";
    this.statusCode = statusCode;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
