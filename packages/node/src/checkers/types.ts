// The checker interface: `observe` produces the slot's observation from L1;
// further checkers (proof, exec) only judge an observed table.
import { type EezTableDigest, fromHex, type Observation, streamId, toHex } from "@ocp/protocol";
import type { L1Block, TableCall } from "../chain/l1/reader.js";

export interface StreamContext {
  /** Short name for logs and metrics. */
  name: string;
  /** 32-byte stream id. */
  id: Uint8Array;
  l1ChainId: number;
  /** 0x-address of the table contract. */
  tableContract: `0x${string}`;
}

/** The configured streams with their ids (the EEZ table contract on its L1 chain). */
export function streamContexts(
  streams: readonly { name: string; l1ChainId: number; tableContract: `0x${string}` }[],
): StreamContext[] {
  return streams.map(({ name, l1ChainId, tableContract }) => ({
    name,
    id: streamId(l1ChainId, fromHex(tableContract, 20)),
    l1ChainId,
    tableContract,
  }));
}

/** `0xstream:slot` — the key of per-(stream, slot) state in the checkers and the node. */
export function streamSlotId(streamId: Uint8Array, slot: bigint): string {
  return `${toHex(streamId)}:${slot}`;
}

export interface ObservedTable {
  block: L1Block;
  calls: TableCall[];
  digest: EezTableDigest;
}

/**
 * Why a node does not sign a slot it could have signed. Each means "this node
 * cannot know" (or, for CHECKER_FAILED, an optional checker said no): every
 * call that succeeded on L1 has a digest, so a table is never a reason.
 */
export enum AbstainReason {
  NOT_CONFIRMED = "NOT_CONFIRMED",
  RPC_UNREACHABLE = "RPC_UNREACHABLE",
  RPC_DISAGREE = "RPC_DISAGREE",
  RPC_ERROR = "RPC_ERROR",
  CHECKER_FAILED = "CHECKER_FAILED",
  CHECKER_ERROR = "CHECKER_ERROR",
}

export type ObserveResult =
  | { kind: "observed"; observation: Observation; table: ObservedTable }
  /** A slot with no block, or a block with no table, has nothing to attest. */
  | { kind: "nothing"; reason: "NO_BLOCK_FOR_SLOT" | "NO_TABLE" }
  | { kind: "abstain"; reason: AbstainReason; detail: string };

export type CheckVerdict = { ok: true } | { ok: false; reason: AbstainReason; detail: string };

export interface CheckInput {
  stream: StreamContext;
  observation: Observation;
  table: ObservedTable;
  signal?: AbortSignal;
}

/** A costly checker (proof, exec): runs once per digest, only after observe agreed. */
export interface TableChecker {
  readonly name: string;
  check(input: CheckInput): Promise<CheckVerdict>;
  /** Releases what the checker holds (e.g. kills running programs). */
  close?(): void | Promise<void>;
}
