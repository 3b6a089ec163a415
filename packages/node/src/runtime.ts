// V8 options every ocp node process is started with: the `ocp` launcher's
// shebang, the devnet's node processes and the benchmarks all use this list.

/**
 * - `--max-semi-space-size=8`: young generation semi-spaces of at most 8 MiB
 *   instead of V8's 16. Measured in the 8-node × 8-key benchmark: peak RSS per
 *   node ~140 → ~126 MiB at the same CPU per slot (4 MiB saves more but costs
 *   ~6% CPU in extra scavenges).
 * - `--heap-growing-percent=30`: after each full GC the old generation may
 *   grow to 1.3× what survived, instead of V8's adaptive factor of up to 4×.
 *   A node's live data is bounded (pools and caches by slot window), but with
 *   the adaptive factor a busy node's heap kept growing past it: in the 8 × 8
 *   benchmark, RSS per node went 110 → 225 MiB over 300 slots (live heap
 *   ~55 MiB); with this flag it was ~140 MiB at 160 slots and ~150 MiB at
 *   300, at the same CPU per slot (20% instead of 30% cost ~7% more CPU and
 *   saved only 1–5 MiB).
 */
export const NODE_RUNTIME_FLAGS: readonly string[] = ["--max-semi-space-size=8", "--heap-growing-percent=30"];
