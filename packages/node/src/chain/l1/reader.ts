// Reads one slot's execution table from L1: the block, then every successful
// postAndVerifyBatch call to the stream's table contract, top-level or
// internal, found with debug_traceBlockByNumber + callTracer.
import { fromHex, POST_AND_VERIFY_BATCH_SELECTOR } from "@ocp/protocol";
import type { JsonRpcClient } from "./rpc.js";
import { RpcError } from "./rpc.js";

export interface L1Block {
  number: bigint;
  hash: Uint8Array;
  parentHash: Uint8Array;
  timestamp: bigint;
}

/** One successful table call, in execution order. */
export interface TableCall {
  calldata: Uint8Array;
  /** Versioned blob hashes of the call's transaction. */
  blobHashes: Uint8Array[];
  /**
   * Gas the call frame used, with room for refunds (at most a fifth of a
   * transaction's use): bounds the digest's work (docs/spec.md §4.1).
   */
  gas?: bigint;
  txHash: string;
  txIndex: number;
}

export interface BlockTable {
  block: L1Block;
  calls: TableCall[];
}

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  transactions: { hash: string; blobVersionedHashes?: string[] }[];
}

interface CallFrame {
  type: string;
  to?: string;
  input?: string;
  gasUsed?: string;
  error?: string;
  calls?: CallFrame[];
}

interface TxTrace {
  txHash?: string;
  result?: CallFrame;
  error?: string;
}

const SELECTOR_HEX = Array.from(POST_AND_VERIFY_BATCH_SELECTOR, (b) => b.toString(16).padStart(2, "0")).join(
  "",
);

function parseBlock(url: string, raw: RpcBlock | null): L1Block | undefined {
  if (raw === null) return undefined;
  try {
    return {
      number: BigInt(raw.number),
      hash: fromHex(raw.hash, 32),
      parentHash: fromHex(raw.parentHash, 32),
      timestamp: BigInt(raw.timestamp),
    };
  } catch {
    throw new RpcError(url, "BAD_RESPONSE", "malformed block");
  }
}

export async function getHead(rpc: JsonRpcClient): Promise<bigint> {
  const n = await rpc.request<string>("eth_blockNumber", []);
  try {
    return BigInt(n);
  } catch {
    throw new RpcError(rpc.url, "BAD_RESPONSE", "eth_blockNumber");
  }
}

export async function getBlock(rpc: JsonRpcClient, number: bigint): Promise<L1Block | undefined> {
  const raw = await rpc.request<RpcBlock | null>("eth_getBlockByNumber", [`0x${number.toString(16)}`, false]);
  return parseBlock(rpc.url, raw);
}

/**
 * Collects calls to `tableContract` carrying the postAndVerifyBatch selector
 * that took effect: a frame counts only if neither it nor any ancestor
 * reverted (a reverted parent undoes a successful child). Pre-order walk =
 * the order in which the calls started executing.
 */
function collectCalls(frame: CallFrame, table: string, out: CallFrame[]): void {
  if (frame.error !== undefined) return;
  if (
    frame.type === "CALL" &&
    frame.to?.toLowerCase() === table &&
    frame.input !== undefined &&
    frame.input.slice(2, 10).toLowerCase() === SELECTOR_HEX
  ) {
    out.push(frame);
  }
  for (const child of frame.calls ?? []) collectCalls(child, table, out);
}

function frameGas(gasUsed: string | undefined): bigint | undefined {
  if (gasUsed === undefined || !/^0x[0-9a-fA-F]{1,16}$/.test(gasUsed)) return undefined;
  const used = BigInt(gasUsed);
  return used + used / 4n + 1n;
}

/** The block and its table calls, as one RPC sees them. */
export async function readBlockTable(
  rpc: JsonRpcClient,
  number: bigint,
  tableContract: string,
): Promise<BlockTable | undefined> {
  const tag = `0x${number.toString(16)}`;
  const raw = await rpc.request<RpcBlock | null>("eth_getBlockByNumber", [tag, true]);
  const block = parseBlock(rpc.url, raw);
  if (block === undefined || raw === null) return undefined;
  if (raw.transactions.length === 0) return { block, calls: [] };

  const traces = await rpc.request<TxTrace[]>("debug_traceBlockByNumber", [tag, { tracer: "callTracer" }]);
  if (!Array.isArray(traces) || traces.length !== raw.transactions.length) {
    throw new RpcError(rpc.url, "BAD_RESPONSE", "trace does not match the block's transactions");
  }
  // The trace is of the block we fetched only if the node did not reorg in
  // between: the caller compares block hashes across RPCs and re-reads.
  const table = tableContract.toLowerCase();
  const calls: TableCall[] = [];
  for (let i = 0; i < traces.length; i++) {
    const trace = traces[i]!;
    const tx = raw.transactions[i]!;
    if (trace.result === undefined) throw new RpcError(rpc.url, "BAD_RESPONSE", `no trace for tx ${i}`);
    if (trace.txHash !== undefined && trace.txHash.toLowerCase() !== tx.hash.toLowerCase()) {
      throw new RpcError(rpc.url, "BAD_RESPONSE", `trace ${i} is for another transaction`);
    }
    const frames: CallFrame[] = [];
    collectCalls(trace.result, table, frames);
    if (frames.length === 0) continue;
    let blobHashes: Uint8Array[];
    try {
      blobHashes = (tx.blobVersionedHashes ?? []).map((h) => fromHex(h, 32));
    } catch {
      throw new RpcError(rpc.url, "BAD_RESPONSE", "malformed blob hash");
    }
    for (const f of frames) {
      let calldata: Uint8Array;
      try {
        calldata = fromHex(f.input);
      } catch {
        throw new RpcError(rpc.url, "BAD_RESPONSE", "malformed call input");
      }
      const gas = frameGas(f.gasUsed);
      calls.push({
        calldata,
        blobHashes,
        ...(gas !== undefined ? { gas } : {}),
        txHash: tx.hash,
        txIndex: i,
      });
    }
  }
  return { block, calls };
}
