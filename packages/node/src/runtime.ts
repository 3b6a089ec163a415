// V8 options every ocp node process is started with: the `ocp` launcher's
// shebang, the devnet's node processes and the benchmarks all use this list.

/**
 * `--max-semi-space-size=8`: young generation semi-spaces of at most 8 MiB
 * instead of V8's 16. Measured in the 8-node × 8-key benchmark: peak RSS per
 * node ~140 → ~126 MiB at the same CPU per slot (4 MiB saves more but costs
 * ~6% CPU in extra scavenges).
 */
export const NODE_RUNTIME_FLAGS: readonly string[] = ["--max-semi-space-size=8"];
