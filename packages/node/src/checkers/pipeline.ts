// Composes checkers: `observe` first (mandatory); costly checkers only after
// it produced an observation, once per (block, digest); every decision
// records which checkers ran.
import type { Observation } from "@ocp/protocol";
import type { ObserveChecker } from "./observe.js";
import {
  AbstainReason,
  type ObservedTable,
  type ObserveResult,
  type StreamContext,
  streamSlotId,
  type TableChecker,
} from "./types.js";

export type Decision =
  | { verdict: "sign"; observation: Observation; table: ObservedTable; checkersRan: string[] }
  | { verdict: "nothing"; reason: string; checkersRan: string[] }
  | { verdict: "abstain"; reason: AbstainReason; detail: string; checkersRan: string[] };

export interface CheckerPipelineOptions {
  /** Decisions kept in memory (per stream and slot). @default 256 */
  maxCachedDecisions: number;
}

export class CheckerPipeline {
  /** Decisions by `${stream}:${slot}`, with their slot for pruning. */
  private readonly decisions = new Map<string, { slot: bigint; decision: Promise<Decision> }>();

  constructor(
    private readonly opts: CheckerPipelineOptions,
    private readonly modules: { observe: ObserveChecker; checkers: TableChecker[] },
  ) {}

  get checkerNames(): string[] {
    return ["observe", ...this.modules.checkers.map((c) => c.name)];
  }

  /**
   * A slot's block was first seen: `observe` reads it ahead of its
   * confirmation. Resolves with the observation it will most likely confirm.
   */
  prefetch(stream: StreamContext, slot: bigint): Promise<Observation | undefined> {
    return this.modules.observe.prefetch(stream, slot);
  }

  /**
   * Decides a slot once. Abstentions caused by timing or RPC trouble are not
   * cached, so a later call (e.g. next head) can succeed.
   */
  decide(stream: StreamContext, slot: bigint): Promise<Decision> {
    const key = streamSlotId(stream.id, slot);
    const cached = this.decisions.get(key);
    if (cached) return cached.decision;
    const p = this.run(stream, slot).then((d) => {
      if (d.verdict === "abstain" && isTransient(d.reason)) this.decisions.delete(key);
      return d;
    });
    this.decisions.set(key, { slot, decision: p });
    // Bounded: forget the oldest decisions first (Map keeps insertion order).
    while (this.decisions.size > this.opts.maxCachedDecisions) {
      const first = this.decisions.keys().next().value as string;
      this.decisions.delete(first);
    }
    return p;
  }

  /**
   * Forgets decisions for slots before `minSlot` (each holds its table):
   * gossip for them is past the retention window and IGNOREd anyway.
   */
  prune(minSlot: bigint): void {
    for (const [key, d] of this.decisions) if (d.slot < minSlot) this.decisions.delete(key);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.modules.checkers.map((c) => c.close?.()));
  }

  private async run(stream: StreamContext, slot: bigint): Promise<Decision> {
    const ran = ["observe"];
    let observed: ObserveResult;
    try {
      observed = await this.modules.observe.observe(stream, slot);
    } catch (e) {
      return { verdict: "abstain", reason: AbstainReason.CHECKER_ERROR, detail: String(e), checkersRan: ran };
    }
    if (observed.kind === "nothing") return { verdict: "nothing", reason: observed.reason, checkersRan: ran };
    if (observed.kind === "abstain") {
      return { verdict: "abstain", reason: observed.reason, detail: observed.detail, checkersRan: ran };
    }
    for (const checker of this.modules.checkers) {
      ran.push(checker.name);
      try {
        const v = await checker.check({ stream, observation: observed.observation, table: observed.table });
        if (!v.ok)
          return {
            verdict: "abstain",
            reason: v.reason,
            detail: `${checker.name}: ${v.detail}`,
            checkersRan: ran,
          };
      } catch (e) {
        return {
          verdict: "abstain",
          reason: AbstainReason.CHECKER_ERROR,
          detail: `${checker.name}: ${String(e)}`,
          checkersRan: ran,
        };
      }
    }
    return { verdict: "sign", observation: observed.observation, table: observed.table, checkersRan: ran };
  }
}

function isTransient(reason: AbstainReason): boolean {
  return (
    reason === AbstainReason.NOT_CONFIRMED ||
    reason === AbstainReason.RPC_UNREACHABLE ||
    reason === AbstainReason.RPC_ERROR ||
    reason === AbstainReason.RPC_DISAGREE ||
    reason === AbstainReason.CHECKER_ERROR
  );
}
