// A full garbage collection from inside a test, without starting node with --expose-gc.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** V8's gc(), made available at run time. */
export function gcHandle(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/**
 * Starts measuring the process's ArrayBuffer memory (where stream buffers
 * live) after a full GC; the returned function answers how much it grew
 * since, after another full GC.
 */
export function arrayBufferGrowth(): () => number {
  const gc = gcHandle();
  gc();
  const before = process.memoryUsage().arrayBuffers;
  return () => {
    gc();
    return process.memoryUsage().arrayBuffers - before;
  };
}
