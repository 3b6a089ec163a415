// The mandatory `observe` checker: reads the slot's block from the node's
// RPCs once confirmed, requires the configured number of them to agree, and
// computes the ocp.eez.v1 table digest itself.
import { eezTableDigest, isProtocolError, type Observation, SCHEMA_EEZ_V1, toHex } from "@ocp/protocol";
import type { L1Head } from "../chain/l1/heads.js";
import { type BlockTable, getBlock, getHead, readBlockTable } from "../chain/l1/reader.js";
import { httpJsonRpc, type JsonRpcClient, RpcError } from "../chain/l1/rpc.js";
import { AbstainReason, type ObserveResult, type StreamContext, streamSlotId } from "./types.js";

export type SlotMapping =
  /** slot = L1 block number (dev chains such as anvil). */
  | { mode: "block-number" }
  /** Ethereum: block.timestamp = genesisTime + slot * secondsPerSlot. */
  | { mode: "beacon-time"; genesisTime: number; secondsPerSlot: number };

export interface ObserveOptions {
  rpcUrls: string[];
  /** How many RPCs must return the same block hash and digest. @default 1 */
  agreement: number;
  /** Blocks on top of the slot's block before it is read. @default 1 */
  confirmations: number;
  /** @default 5000 */
  rpcTimeoutMs: number;
  slots: SlotMapping;
}

export const defaultObserveOptions: Omit<ObserveOptions, "rpcUrls"> = {
  agreement: 1,
  confirmations: 1,
  rpcTimeoutMs: 5000,
  slots: { mode: "block-number" },
};

type OneRpc =
  | { ok: true; key: string; result: ObserveResult }
  | { ok: false; kind: "unreachable" | "unconfirmed" | "error"; detail: string };

/** One RPC's read of a block's table; `hash` names the block read, if it was found. */
interface TableRead {
  hash?: string;
  answer: OneRpc;
}

// Walking to a beacon-time slot's block is bounded: each step costs an RPC call.
const MAX_BLOCK_SEARCH_STEPS = 64;
// Pushed headers kept (numbers below head − this are dropped).
const MAX_HEADERS = 64;
// Read-ahead tables kept per RPC until their slot is decided (a table may be
// large: only a few slots' worth).
const MAX_READ_AHEAD = 8;

function rpcFailure(e: unknown): OneRpc {
  if (e instanceof RpcError) {
    return {
      ok: false,
      kind: e.kind === "UNREACHABLE" || e.kind === "TIMEOUT" ? "unreachable" : "error",
      detail: e.message,
    };
  }
  return { ok: false, kind: "error", detail: (e as Error).message };
}

export class ObserveChecker {
  readonly name = "observe";
  private readonly rpcs: JsonRpcClient[];
  /** Recent pushed headers by number (the head stream), for confirming reads ahead. */
  private readonly headers = new Map<bigint, L1Head>();
  /** Per RPC: tables read when their block was first seen, by `${stream}:${slot}`. */
  private readonly ahead: Map<string, Promise<TableRead>>[];

  constructor(
    private readonly opts: ObserveOptions,
    modules: { rpcs?: JsonRpcClient[] } = {},
  ) {
    if (opts.rpcUrls.length === 0 && !modules.rpcs)
      throw new Error("observe: at least one RPC URL is required");
    this.rpcs = modules.rpcs ?? opts.rpcUrls.map((u) => httpJsonRpc(u, opts.rpcTimeoutMs));
    this.ahead = this.rpcs.map(() => new Map());
    if (opts.agreement < 1 || opts.agreement > this.rpcs.length) {
      throw new Error(`observe: agreement must be between 1 and the number of RPCs (${this.rpcs.length})`);
    }
  }

  /** Observes `slot` of `stream`. Never throws: failures become abstentions. */
  async observe(stream: StreamContext, slot: bigint): Promise<ObserveResult> {
    const answers = await Promise.all(this.rpcs.map((rpc, i) => this.observeOne(rpc, i, stream, slot)));
    const tally = new Map<string, { count: number; result: ObserveResult }>();
    let unreachable = 0;
    let unconfirmed = 0;
    const errors: string[] = [];
    for (const a of answers) {
      if (a.ok) {
        const t = tally.get(a.key);
        if (t) t.count++;
        else tally.set(a.key, { count: 1, result: a.result });
      } else if (a.kind === "unreachable") {
        unreachable++;
        errors.push(a.detail);
      } else if (a.kind === "unconfirmed") {
        unconfirmed++;
      } else {
        errors.push(a.detail);
      }
    }
    for (const t of tally.values()) {
      if (t.count >= this.opts.agreement) return t.result;
    }
    if (tally.size > 1) {
      return {
        kind: "abstain",
        reason: AbstainReason.RPC_DISAGREE,
        detail: `${tally.size} different answers`,
      };
    }
    if (unconfirmed > 0 && unreachable === 0 && errors.length === 0) {
      return {
        kind: "abstain",
        reason: AbstainReason.NOT_CONFIRMED,
        detail: `slot ${slot} lacks ${this.opts.confirmations} confirmations`,
      };
    }
    if (unreachable > 0) {
      return { kind: "abstain", reason: AbstainReason.RPC_UNREACHABLE, detail: errors.join("; ") };
    }
    if (unconfirmed > 0) {
      return { kind: "abstain", reason: AbstainReason.NOT_CONFIRMED, detail: errors.join("; ") };
    }
    return { kind: "abstain", reason: AbstainReason.RPC_ERROR, detail: errors.join("; ") };
  }

  /**
   * Reads `slot`'s block and table ahead of its confirmation (block-number
   * mode): called when the block is first seen, so that at confirmation only
   * its hash is re-checked. Resolves with the observation the first RPC's
   * read gives (if any); never rejects.
   */
  async prefetch(stream: StreamContext, slot: bigint): Promise<Observation | undefined> {
    if (this.opts.slots.mode !== "block-number") return undefined;
    const key = streamSlotId(stream.id, slot);
    const reads = this.rpcs.map((rpc, i) => {
      const ahead = this.ahead[i]!;
      let read = ahead.get(key);
      if (read === undefined) {
        read = this.readTable(rpc, stream, slot);
        ahead.set(key, read);
        // Bounded: the oldest reads go first (Map keeps insertion order).
        while (ahead.size > MAX_READ_AHEAD) ahead.delete(ahead.keys().next().value as string);
      }
      return read;
    });
    const first = (await reads[0]!).answer;
    return first.ok && first.result.kind === "observed" ? first.result.observation : undefined;
  }

  /**
   * A header pushed by the node's head stream. With a single RPC, a block
   * read ahead whose hash the pushed headers above it chain back to is
   * confirmed without asking the RPC again (two sources agree on it).
   */
  noteHeader(h: L1Head): void {
    this.headers.set(h.number, h);
    for (const n of this.headers.keys()) if (n + BigInt(MAX_HEADERS) <= h.number) this.headers.delete(n);
  }

  /** Pushed headers slot+1 … slot+confirmations chain back to `hash`. */
  private confirmedByHeaders(slot: bigint, hash: string): boolean {
    let child = hash;
    for (let k = 1; k <= this.opts.confirmations; k++) {
      const h = this.headers.get(slot + BigInt(k));
      if (h === undefined || h.parentHash !== child) return false;
      child = h.hash;
    }
    return this.opts.confirmations > 0;
  }

  private async observeOne(
    rpc: JsonRpcClient,
    i: number,
    stream: StreamContext,
    slot: bigint,
  ): Promise<OneRpc> {
    try {
      const key = streamSlotId(stream.id, slot);
      const early = this.ahead[i]!.get(key);
      if (early !== undefined) {
        const answer = await this.confirmReadAhead(rpc, await early, stream, slot);
        // Kept for the next try while the block is not yet confirmed.
        if (answer.ok || answer.kind !== "unconfirmed") this.ahead[i]!.delete(key);
        return answer;
      }
      const head = await getHead(rpc);
      const number = await this.blockForSlot(rpc, slot, head);
      if (number === undefined)
        return { ok: true, key: "none:block", result: { kind: "nothing", reason: "NO_BLOCK_FOR_SLOT" } };
      // [ABSTAIN] the slot's block must have the configured confirmation depth
      const unconfirmed = this.unconfirmed(head, number);
      if (unconfirmed) return unconfirmed;
      return (await this.readTable(rpc, stream, number, slot)).answer;
    } catch (e) {
      return rpcFailure(e);
    }
  }

  /**
   * A block read ahead: confirmed by the pushed headers (one RPC) or by the
   * RPC's head and its block hash now; read again if it is not the block read.
   */
  private async confirmReadAhead(
    rpc: JsonRpcClient,
    read: TableRead,
    stream: StreamContext,
    slot: bigint,
  ): Promise<OneRpc> {
    if (this.rpcs.length === 1 && read.hash !== undefined && this.confirmedByHeaders(slot, read.hash))
      return read.answer;
    const [head, block] = await Promise.all([getHead(rpc), getBlock(rpc, slot)]);
    if (block === undefined)
      return { ok: true, key: "none:block", result: { kind: "nothing", reason: "NO_BLOCK_FOR_SLOT" } };
    const unconfirmed = this.unconfirmed(head, slot);
    if (unconfirmed) return unconfirmed;
    if (read.hash === toHex(block.hash)) return read.answer;
    return (await this.readTable(rpc, stream, slot)).answer;
  }

  private unconfirmed(head: bigint, number: bigint): OneRpc | undefined {
    if (head >= number + BigInt(this.opts.confirmations)) return undefined;
    return {
      ok: false,
      kind: "unconfirmed",
      detail: `head ${head} < ${number} + ${this.opts.confirmations}`,
    };
  }

  /** Block `number`'s table as `rpc` sees it, digested; `hash` names the block read. */
  private async readTable(
    rpc: JsonRpcClient,
    stream: StreamContext,
    number: bigint,
    slot = number,
  ): Promise<TableRead> {
    let table: BlockTable | undefined;
    try {
      table = await readBlockTable(rpc, number, stream.tableContract);
    } catch (e) {
      return { answer: rpcFailure(e) };
    }
    if (table === undefined)
      return { answer: { ok: false, kind: "error", detail: `block ${number} not found` } };
    const hash = toHex(table.block.hash);
    if (table.calls.length === 0) {
      return {
        hash,
        answer: { ok: true, key: `none:table:${hash}`, result: { kind: "nothing", reason: "NO_TABLE" } },
      };
    }
    try {
      const digest = eezTableDigest(table.calls);
      const observation: Observation = {
        stream: stream.id,
        slot,
        l1BlockNumber: table.block.number,
        l1BlockHash: table.block.hash,
        schema: SCHEMA_EEZ_V1,
        tableDigest: digest.tableDigest,
        entryCount: digest.entryCount,
      };
      return {
        hash,
        answer: {
          ok: true,
          key: `${hash}:${toHex(digest.tableDigest)}:${digest.entryCount}`,
          result: {
            kind: "observed",
            observation,
            table: { block: table.block, calls: table.calls, digest },
          },
        },
      };
    } catch (e) {
      // Every call that succeeded has a digest (docs/spec.md §4.1): one that
      // does not means the RPC reported a success that cannot have happened.
      const detail = isProtocolError(e) ? e.message : String(e);
      return {
        hash,
        answer: {
          ok: false,
          kind: "error",
          detail: `block ${number}: RPC reports an impossible call: ${detail}`,
        },
      };
    }
  }

  /** The L1 block number carrying `slot`, or undefined if the slot has none. */
  private async blockForSlot(rpc: JsonRpcClient, slot: bigint, head: bigint): Promise<bigint | undefined> {
    const m = this.opts.slots;
    if (m.mode === "block-number") return slot <= head ? slot : undefined;
    const slotOf = (ts: bigint): bigint => (ts - BigInt(m.genesisTime)) / BigInt(m.secondsPerSlot);
    // Each block takes at least one slot, so block(slot) ≥ n − (slotOf(n) − slot):
    // jump back by the slot distance, then walk forward.
    let n = head;
    let walkingForward = false;
    for (let step = 0; step < MAX_BLOCK_SEARCH_STEPS; step++) {
      const b = await getBlock(rpc, n);
      if (b === undefined) return undefined;
      const s = slotOf(b.timestamp);
      if (s === slot) return n;
      if (s > slot) {
        // Passed the slot while walking forward: the slot has no block.
        if (walkingForward) return undefined;
        const back = s - slot;
        if (back > n) return undefined;
        n -= back;
      } else {
        if (n >= head) return undefined;
        walkingForward = true;
        n += 1n;
      }
    }
    throw new RpcError(
      rpc.url,
      "BAD_RESPONSE",
      `no block found for slot ${slot} within ${MAX_BLOCK_SEARCH_STEPS} steps`,
    );
  }
}
