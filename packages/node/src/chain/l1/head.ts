// The node's slot clock over L1 (block numbers polled or pushed, or beacon
// time) and the age of the last L1 head it saw, which /readyz reports.

import type { L1Options } from "../../options.js";
import type { Logger } from "../../util/logger.js";
import { BeaconTimeClock, BlockNumberClock, type SlotClock } from "../clock.js";
import { WsHeadStream } from "./heads.js";
import { getHead } from "./reader.js";
import { httpJsonRpc, type JsonRpcClient } from "./rpc.js";

/** Wall time (ms) of the last L1 head any RPC returned or pushed. */
export class L1HeadTracker {
  private atMs: number | undefined;
  readonly rpc: JsonRpcClient;

  constructor(
    l1: Pick<L1Options, "rpcUrls" | "rpcTimeoutMs">,
    private readonly now: () => number = Date.now,
  ) {
    this.rpc = httpJsonRpc(l1.rpcUrls[0]!, l1.rpcTimeoutMs);
  }

  /** A head was just seen. */
  note(): void {
    this.atMs = this.now();
  }

  /** The current head from the RPC, noted on success. */
  async read(): Promise<bigint> {
    const n = await getHead(this.rpc);
    this.note();
    return n;
  }

  /**
   * Milliseconds since a head was last seen, or undefined if never. `ask`:
   * nothing polls the head (beacon-time mode), so ask the RPC once first.
   */
  async ageMs(ask: boolean): Promise<number | undefined> {
    if (ask) {
      try {
        await this.read();
      } catch {
        // Unreachable: the age of the last good answer tells how stale we are.
      }
    }
    return this.atMs === undefined ? undefined : this.now() - this.atMs;
  }
}

/** The slot clock `l1.slots` asks for; block-number mode reads heads through `head`. */
export function createL1SlotClock(l1: L1Options, deps: { head: L1HeadTracker; logger: Logger }): SlotClock {
  const { head, logger } = deps;
  if (l1.slots.mode === "block-number")
    return new BlockNumberClock(
      { pollIntervalMs: l1.pollIntervalMs },
      {
        getHead: () => head.read(),
        headStream: l1.wsUrl ? new WsHeadStream(l1.wsUrl, {}, { logger }) : undefined,
        logger,
      },
    );
  return new BeaconTimeClock(
    { genesisTime: l1.slots.genesisTime, secondsPerSlot: l1.slots.secondsPerSlot },
    { logger },
  );
}
