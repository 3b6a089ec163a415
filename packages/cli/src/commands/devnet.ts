// `ocp devnet up`: a whole local network in one command — anvil, contracts,
// keys and set, verifier node processes, a builder — stopped on Ctrl-C or
// after --slots, leaving no process behind.
import { type Command, CommanderError, InvalidArgumentError } from "commander";
import { type DevnetOptions, runDevnet } from "../devnet/run.js";
import { type DevnetView, jsonView, liveView, plainView } from "../devnet/view.js";
import { EXIT_FAILED } from "../root.js";

function positiveInt(max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}`);
    return Number(v);
  };
}

/** "2s", "2", "2000ms" → ms; anvil mines on whole seconds. */
export function parseSlotTime(v: string): number {
  const m = /^(\d+)(ms|s)?$/.exec(v.trim());
  const ms = m ? Number(m[1]) * (m[2] === "ms" ? 1 : 1000) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1000 || ms % 1000 !== 0 || ms > 60_000)
    throw new InvalidArgumentError("expected whole seconds from 1s to 60s, e.g. 2s");
  return ms;
}

export function registerDevnet(program: Command): void {
  const devnet = program.command("devnet").description("run a local ocp network");
  devnet
    .command("up")
    .description(
      "start anvil, deploy OcpAnchor + table + orchestrator, register keys and the set, " +
        "start verifier nodes and a builder; report each slot",
    )
    .option("--nodes <n>", "verifier node processes", positiveInt(32), 4)
    .option("--keys-per-node <n>", "verifier keys per node", positiveInt(64), 1)
    .option("--slots <n>", "builder slots to run, then stop (default: until Ctrl-C)", positiveInt(1_000_000))
    .option("--slot-time <t>", "slot (block) time, whole seconds", parseSlotTime, 2000)
    .option(
      "--byzantine-builder",
      "the builder also signs a different observation on every other slot",
      false,
    )
    .option("--json", "one JSON object per slot, then {summary}", false)
    .option("--out <dir>", "save each slot's certificate (cert-<slot>.json) and set.json here")
    .option("--keep", "keep the devnet directory (keys, configs, databases)", false)
    .option("--seed <n>", "batch generator seed", (v) => Number.parseInt(v, 10), Date.now() % 2 ** 31)
    .action(async (o: Omit<DevnetOptions, "slotTimeMs"> & { slotTime: number; json: boolean }) => {
      const view: DevnetView = o.json
        ? jsonView(process.stdout, process.stderr)
        : process.stdout.isTTY
          ? liveView(process.stdout)
          : plainView(process.stdout);
      const abort = new AbortController();
      let interrupts = 0;
      const onSignal = (): void => {
        interrupts++;
        // A second Ctrl-C while stopping: the exit hook kills the children.
        if (interrupts > 1) process.exit(130);
        view.status("stopping (Ctrl-C again to force)");
        abort.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const summary = await runDevnet(
          {
            nodes: o.nodes,
            keysPerNode: o.keysPerNode,
            ...(o.slots === undefined ? {} : { slots: o.slots }),
            slotTimeMs: o.slotTime,
            byzantineBuilder: o.byzantineBuilder,
            ...(o.out === undefined ? {} : { out: o.out }),
            keep: o.keep,
            seed: o.seed,
          },
          {
            status: (m) => view.status(m),
            slot: (r) => view.slot(r),
            progress: (p) => view.progress(p),
            signal: abort.signal,
          },
        );
        view.summary(summary);
        if (!abort.signal.aborted && summary.anchored < summary.slots)
          throw new CommanderError(EXIT_FAILED, "ocp.failed", "some slots were not anchored");
      } catch (e) {
        if (e instanceof CommanderError) throw e;
        console.error(`error: ${(e as Error).message}`);
        throw new CommanderError(EXIT_FAILED, "ocp.failed", (e as Error).message);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
