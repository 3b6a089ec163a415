// Test helpers for waiting: polling real time for what runs outside the test's
// control (sockets, child processes), and counting settled promises under
// vitest's fake timers for what the test's own clock drives.
import { vi } from "vitest";

/** Timers a test's clock drives; `setImmediate` stays real, since the BLS
 * verifier yields to I/O through it and no test time passes there. */
export const FAKED_TIMERS = ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] as const;

// Taken before any test fakes timers: the I/O turns below are always real ones.
const realSetImmediate = globalThis.setImmediate;

/**
 * Polls `fn` every `intervalMs` until it returns something other than
 * undefined or false, and returns that; throws naming `what` after `ms`.
 */
export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 10_000,
  what: string | (() => string) = "condition",
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Advances vitest's fake timers by `ms` (running the timers and promise
 * callbacks due in between, then a few real I/O turns) and returns how many
 * of `promises` have settled.
 */
export async function settledAfter(promises: readonly Promise<unknown>[], ms: number): Promise<number> {
  let n = 0;
  for (const p of promises)
    void p.then(
      () => n++,
      () => n++,
    );
  await vi.advanceTimersByTimeAsync(ms);
  // Work that yielded to I/O (one real turn per yield) finishes now, at the same fake time.
  for (let i = 0; i < 8; i++) await new Promise((r) => realSetImmediate(r));
  return n;
}
