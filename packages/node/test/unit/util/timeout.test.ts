import { describe, expect, it } from "vitest";
import { gcHandle } from "../../../../../test/utils/gc.js";
import { abortAfter } from "../../../src/util/timeout.js";

describe("abortAfter", () => {
  it("still fires inside AbortSignal.any after a garbage collection", async () => {
    // With AbortSignal.timeout in its place, Node 20 collects the timeout
    // signal here and the combined signal never aborts.
    const gc = gcHandle();
    const combined = AbortSignal.any([new AbortController().signal, abortAfter(100)]);
    let fired = false;
    combined.addEventListener("abort", () => {
      fired = true;
    });
    // Collected from a later task, once nothing on this frame's stack holds the sources.
    await new Promise((r) => setTimeout(r, 20));
    gc();
    await new Promise((r) => setTimeout(r, 400));
    expect(fired).toBe(true);
    expect((combined.reason as Error).name).toBe("TimeoutError");
  });

  it("does not fire before its time", async () => {
    const s = abortAfter(10_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.aborted).toBe(false);
  });
});
