// V8 options and environment every ocp node process is started with: the
// `ocp` launcher's shebang, the devnet's, the sim's and the benchmarks' node
// processes all use these.
import { setFlagsFromString } from "node:v8";

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
 * - `--no-sparkplug`: no baseline (Sparkplug) machine code between the
 *   bytecode interpreter and the optimizing compilers. A node runs few hot
 *   paths, which TurboFan compiles either way; Sparkplug's code for the many
 *   warm functions of start-up, the libraries and the per-slot paths stays
 *   in the code space. Measured in the 8-node × 8-key benchmark, the odd
 *   half of the nodes with it against the even half without, in the same
 *   run: peak RSS 5 and 6 MiB lower (mean per half, 127 against 132–133),
 *   CPU per slot ratios 0.990 and 0.995 (the half without it 1 % cheaper,
 *   within the noise). `--flush-baseline-code` (keep Sparkplug, drop its
 *   code once unused) saved 3 MiB; `--optimize-for-size` 14 MiB for 50 %
 *   more CPU; `--single-threaded-gc` nothing.
 * - `--no-maglev`: no code from V8's mid-tier optimizing compiler (Maglev,
 *   on by default in Node 24; Node 20's and 22's V8 have it off). Hot
 *   functions go from the interpreter to TurboFan, as on Node 20 and 22.
 *   Measured on Node 24 in the 8-node × 8-key benchmark, the odd half with it
 *   against the even half without: peak RSS 141–142 against 147–149 MiB, CPU
 *   per slot ratio 0.995; with `MALLOC_ARENA_MAX=2` (NODE_RUNTIME_ENV) as
 *   well, 139–140 against 146–149 MiB, ratio 1.005. `--minor-ms` (young
 *   generation mark-sweep) cost 23 % more CPU for no memory;
 *   `--max-semi-space-size=6` and `--bytecode-old-age=2` saved 0–2 MiB,
 *   within the noise.
 */
export const NODE_RUNTIME_FLAGS: readonly string[] = [
  "--max-semi-space-size=8",
  "--heap-growing-percent=30",
  "--no-sparkplug",
  "--no-maglev",
];

/**
 * Environment of every ocp node process (glibc's malloc reads it at start;
 * other C libraries ignore it).
 *
 * - `MALLOC_MMAP_THRESHOLD_=131072`: glibc's own starting value, but fixed.
 *   By default glibc raises the threshold to the size of each large block
 *   that is freed (up to 32 MiB), after which such blocks come from the
 *   main heap and freed ones mostly stay resident there. Fixed, every block
 *   of 128 KiB or more is its own mapping and goes back to the system when
 *   freed. Measured in the 8-node × 8-key benchmark, the odd half of the
 *   nodes with it against the even half without, in the same run: peak RSS
 *   4.0 and 4.8 MiB lower (mean per half), CPU per slot ratios 1.007 and
 *   0.993; two control runs with no difference between the halves: the odd
 *   half 2.3 and 0.8 MiB higher. Whole runs with it on every node: peak RSS
 *   131.6–134.2 MiB against 136.0–138.6 the same day without.
 * - `MALLOC_ARENA_MAX=2`: at most one malloc arena besides the main heap.
 *   glibc gives each thread that allocates an arena of its own, up to eight
 *   per core, and what an arena once held stays partly resident. A node's
 *   threads (V8's workers, libuv's pool for LevelDB and crypto) made 5
 *   arenas on Node 20 and 9 on Node 24. Measured in the 8 × 8 benchmark,
 *   the odd half with it against the even half without: Node 24 peak RSS
 *   142–143 against 148–150 MiB, CPU per slot ratio 0.996; Node 22 (with
 *   `--no-maglev`, which changes nothing there) 138–140 against 145–149,
 *   ratio 1.011; Node 20 123–125 against 124–126, ratio 1.008.
 */
export const NODE_RUNTIME_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "131072",
  MALLOC_ARENA_MAX: "2",
};

/**
 * V8 options set by a node process itself, at start (`applyRuntimeV8Flags`):
 * their names differ between the runtimes' V8 versions, and a command line
 * (the launcher's shebang) with a name the runtime does not know is refused.
 *
 * - One full collection from V8's memory reducer instead of up to three
 *   (Node 20's V8 11; `--memory-reducer-single-gc`) or two (Node 22's and
 *   24's; `--memory-reducer-gc-count`). The reducer collects when a process
 *   goes quiet (no block for a while; after start-up) to shrink its heap; of
 *   a node's ~40 MiB live heap the first collection frees ~5 MiB and each
 *   further one ~0.4 MiB, at ~100–200 ms of CPU each (the main thread and V8's
 *   marking threads). `npm run sim -- baseline` (32 hosts), one run each,
 *   one after the other: the steady idle window held 1.44 full collections
 *   per node and 11.2 ms/s of idle CPU per node without this, 0.59 and 8.8
 *   with it; CPU per slot 355 and 330 ms; peak RSS 150.8 and 154.4 MiB (mean
 *   121.2 and 121.4). In the 8-node × 8-key benchmark, whose nodes are never
 *   quiet, paired in one network with the build before: CPU per slot ratio
 *   0.996 and 0.998, peak RSS 125 against 126–127 MiB.
 */
export function runtimeV8Flags(v8Version: string = process.versions.v8): string[] {
  const major = Number(v8Version.split(".")[0]);
  return [major <= 11 ? "--memory-reducer-single-gc" : "--memory-reducer-gc-count=1"];
}

/** Sets `runtimeV8Flags()` in this process (before a node starts). */
export function applyRuntimeV8Flags(): void {
  for (const flag of runtimeV8Flags()) setFlagsFromString(flag);
}
