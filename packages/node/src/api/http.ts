// HTTP plumbing of the API: fastify errors mapped to `{code, message}` with a
// stable code (client mistakes 4xx, never 500), CORS headers, slot parsing.
import { UINT64_MAX } from "@ocp/protocol";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../util/logger.js";
import { ApiError, ApiErrorCode, isApiError } from "./errors.js";

/** The ApiError answering `err`; unexpected ones are logged and become a 500. */
export function classifyError(
  err: FastifyError | Error,
  req: FastifyRequest,
  ctx: { bodyLimit: number; logger: Logger },
): ApiError {
  if (isApiError(err)) return err;
  const fe = err as FastifyError;
  if (fe.validation !== undefined) {
    return new ApiError(400, ApiErrorCode.INVALID_REQUEST, fe.message);
  }
  switch (fe.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, ApiErrorCode.BODY_TOO_LARGE, `body over ${ctx.bodyLimit} bytes`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, ApiErrorCode.UNSUPPORTED_MEDIA_TYPE, "send application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError(400, ApiErrorCode.INVALID_JSON, fe.message);
  }
  // Other client-side failures fastify or the parser flag (bad content-length,
  // prototype poisoning, JSON syntax): a 4xx of theirs, never a 500.
  const status = fe.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const code =
      err instanceof SyntaxError || status === 400 ? ApiErrorCode.INVALID_JSON : ApiErrorCode.INVALID_REQUEST;
    return new ApiError(status, status === 413 ? ApiErrorCode.BODY_TOO_LARGE : code, fe.message);
  }
  ctx.logger.error(
    { err: String(err), method: req.method, route: req.routeOptions.url },
    "api handler failed",
  );
  return new ApiError(500, ApiErrorCode.INTERNAL, "internal error");
}

export function sendError(reply: FastifyReply, e: ApiError): void {
  if (e.statusCode === 401) reply.header("www-authenticate", "Bearer");
  reply
    .code(e.statusCode)
    .type("application/json")
    .send({ code: e.code, message: e.detail ?? e.code });
}

export function corsHeaders(
  allowed: string[] | undefined,
  origin: string | undefined,
): Record<string, string> {
  if (allowed === undefined || origin === undefined) return {};
  const any = allowed.includes("*");
  if (!any && !allowed.includes(origin)) return {};
  return {
    "access-control-allow-origin": any ? "*" : origin,
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type",
    ...(any ? {} : { vary: "origin" }),
  };
}

/** A decimal uint64 slot (the schema already checked the digits). */
export function parseSlot(s: string): bigint {
  const v = BigInt(s);
  if (v > UINT64_MAX) throw new ApiError(400, ApiErrorCode.INVALID_REQUEST, "slot above uint64");
  return v;
}

/** Parts that exist only while the node runs (the libp2p host): 503 otherwise. */
export function whileRunning<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new ApiError(503, ApiErrorCode.NOT_READY, e instanceof Error ? e.message : String(e));
  }
}
