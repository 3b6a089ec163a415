// Typed protocol errors: every rejection carries a stable string code so that
// callers (gossip validation, CLI, API) can map it without parsing messages.

export class ProtocolError<C extends string = string> extends Error {
  readonly code: C;
  readonly detail: string | undefined;

  constructor(code: C, detail?: string) {
    super(detail === undefined ? code : `${code}: ${detail}`);
    this.name = "ProtocolError";
    this.code = code;
    this.detail = detail;
  }
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}

/** Result type for functions that must never throw on malformed input. */
export type Result<T, C extends string> = { ok: true; value: T } | { ok: false; code: C; detail?: string };
