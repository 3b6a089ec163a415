// Bearer-token check for write routes. Both sides are hashed first so the
// constant-time compare sees equal lengths and leaks neither value nor length.
import { createHash, timingSafeEqual } from "node:crypto";

export class BearerAuth {
  private readonly digest: Buffer | undefined;

  constructor(token: string | undefined) {
    this.digest = token === undefined || token === "" ? undefined : sha256(token);
  }

  /** False when no token is configured: write routes are then closed. */
  get enabled(): boolean {
    return this.digest !== undefined;
  }

  /** Whether an `Authorization` header value carries the configured token. */
  check(header: string | string[] | undefined): boolean {
    if (this.digest === undefined || typeof header !== "string") return false;
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!m) return false;
    return timingSafeEqual(sha256(m[1]!), this.digest);
  }
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
