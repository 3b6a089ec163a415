// Handing the event loop to pending I/O between pieces of long work.

/** Resolves after pending I/O callbacks had their turn (not just microtasks). */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
