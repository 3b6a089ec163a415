// A timeout signal that still fires inside AbortSignal.any on Node 20.

/**
 * A signal that aborts with a `TimeoutError` after `ms`, like
 * `AbortSignal.timeout(ms)`, but held by its own timer until it fires. Node 20
 * keeps an `AbortSignal.timeout` alive only while something listens to it,
 * and `AbortSignal.any` does not listen to its sources: after a garbage
 * collection the combined signal never aborts (Node 22 fixed this). Use this
 * one wherever a timeout goes into `AbortSignal.any`.
 */
export function abortAfter(ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${ms} ms`, "TimeoutError")),
    ms,
  );
  timer.unref?.();
  return controller.signal;
}
