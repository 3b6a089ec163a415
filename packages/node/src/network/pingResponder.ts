// The answering side of libp2p's ping protocol (docs/spec.md §5.5, "Answering
// pings"). libp2p's own responder reads a stream through its async iterator,
// which queues every arrival without limit while the responder waits for a
// slow peer to take its echo; the muxer keeps granting the sender window as
// bytes arrive, so a peer that sends fast and reads nothing made a node hold
// whatever it sent (about 500 MB in 3 s over two streams on 127.0.0.1). Here
// each arrival is echoed as it comes, and a stream on which more than two
// pings arrive at once is reset. While an echo waits to be sent (the peer does
// not read, or the connection is busy) the stream is not read: the muxer then
// stops granting the peer window, so what waits is at most one window.
//
// No libp2p import: host.ts hands its streams over as `PingStream`.

import { concatBytes } from "@ocp/protocol";

/** 32 random bytes out, the same 32 back. */
export const PING_BYTES = 32;

/** A ping stream left without a whole ping for this long is reset. */
export const PING_STREAM_IDLE_MS = 60_000;

/** What the responder needs of a stream (a libp2p stream is one). */
export interface PingStream {
  /** Queues bytes; false when they must wait (the peer's window or the connection is full) until `drain`. */
  send(data: Uint8Array): boolean;
  /** Stops reading (and granting the peer window) until `resume`. */
  pause(): void;
  resume(): void;
  readonly status: string;
  readonly readStatus: string;
  abort(err: Error): void;
  close(): Promise<void>;
  addEventListener(type: "message", listener: (evt: { data: { subarray(): Uint8Array } }) => void): void;
  addEventListener(
    type: "remoteCloseWrite" | "close" | "drain",
    listener: () => void,
    opts?: { once: boolean },
  ): void;
  removeEventListener(type: "message", listener: (evt: { data: { subarray(): Uint8Array } }) => void): void;
  removeEventListener(type: "drain", listener: () => void): void;
}

export type PingAbuse = "burst" | "idle";

/** Why a ping stream was reset. */
export class PingAbuseError extends Error {
  constructor(readonly reason: PingAbuse) {
    super(`ping stream reset: ${reason}`);
    this.name = "PingAbuseError";
  }
}

/**
 * Answers pings on `stream` until the peer closes it: every whole 32 bytes go
 * back as they arrive. An echo that must wait pauses reading until it is
 * sent. Reset, with `onAbuse` told why, when one arrival leaves more than two
 * pings unanswered (a pinger waits for its echo before the next) or after
 * `idleMs` without a whole ping.
 */
export function answerPings(
  stream: PingStream,
  idleMs: number = PING_STREAM_IDLE_MS,
  onAbuse?: (reason: PingAbuse) => void,
): void {
  let partial = new Uint8Array(0);
  let done = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onDrain = (): void => {
    if (!done && stream.status === "open" && stream.readStatus === "paused") stream.resume();
  };
  const stop = (): void => {
    done = true;
    clearTimeout(timer);
    stream.removeEventListener("message", onMessage);
    stream.removeEventListener("drain", onDrain);
  };
  const reset = (reason: PingAbuse): void => {
    if (done) return;
    stop();
    onAbuse?.(reason);
    stream.abort(new PingAbuseError(reason));
  };
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => reset("idle"), idleMs);
    timer.unref?.();
  };
  const onMessage = (evt: { data: { subarray(): Uint8Array } }): void => {
    if (done) return;
    const data = evt.data.subarray();
    if (partial.length + data.length > 2 * PING_BYTES) {
      reset("burst");
      return;
    }
    const bytes = partial.length === 0 ? data : concatBytes(partial, data);
    const whole = bytes.length - (bytes.length % PING_BYTES);
    partial = bytes.slice(whole);
    if (whole === 0) return;
    let sent: boolean;
    try {
      sent = stream.send(bytes.subarray(0, whole));
    } catch {
      // Closed for writing meanwhile: nothing to answer on.
      stop();
      return;
    }
    arm();
    // Until the echo is out, nothing more is read (and no window granted).
    if (!sent && stream.status === "open" && stream.readStatus === "readable") stream.pause();
  };
  stream.addEventListener("message", onMessage);
  stream.addEventListener("drain", onDrain);
  stream.addEventListener("close", stop, { once: true });
  stream.addEventListener(
    "remoteCloseWrite",
    () => {
      if (done) return;
      stop();
      stream.close().catch(() => undefined);
    },
    { once: true },
  );
  arm();
}
