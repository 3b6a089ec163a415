export {
  defaultExecCheckerOptions,
  type ExecBatchJson,
  ExecChecker,
  type ExecCheckerOptions,
  type ExecCheckerOptionsInput,
  type ExecInputJson,
  type ExecOutcome,
  execInput,
  type JsonValue,
  toJsonValue,
} from "./exec.js";
export { defaultObserveOptions, ObserveChecker, type ObserveOptions, type SlotMapping } from "./observe.js";
export { CheckerPipeline, type CheckerPipelineOptions, type Decision } from "./pipeline.js";
export {
  defaultProofCheckerOptions,
  I_PROOF_SYSTEM_ABI,
  type PinnedProofSystems,
  ProofChecker,
  type ProofCheckerOptions,
  type ProofCheckerOptionsInput,
} from "./proof.js";
export * from "./types.js";

import type { JsonRpcClient } from "../chain/l1/rpc.js";
import { ExecChecker, type ExecCheckerOptionsInput } from "./exec.js";
import { ProofChecker, type ProofCheckerOptionsInput } from "./proof.js";
import type { TableChecker } from "./types.js";

/** The optional costly checkers, as configured (`NodeOptions.checkers`). */
export interface CheckersOptions {
  proof?: ProofCheckerOptionsInput;
  exec?: ExecCheckerOptionsInput;
}

/**
 * Builds the configured costly checkers, cheapest first (proof: a few
 * eth_calls; exec: a process). None when `opts` is unset. The proof checker
 * reads through `proof.rpcUrl`, else `modules.rpc`, else the node's first L1 RPC.
 */
export function createCheckers(
  opts: CheckersOptions | undefined,
  modules: { l1: { rpcUrls: string[]; rpcTimeoutMs: number }; rpc?: JsonRpcClient },
): TableChecker[] {
  const out: TableChecker[] = [];
  if (opts?.proof) {
    const p = opts.proof;
    out.push(
      new ProofChecker(
        { rpcTimeoutMs: modules.l1.rpcTimeoutMs, ...p, rpcUrl: p.rpcUrl ?? modules.l1.rpcUrls[0] },
        p.rpcUrl === undefined && modules.rpc ? { rpc: modules.rpc } : {},
      ),
    );
  }
  if (opts?.exec) out.push(new ExecChecker(opts.exec));
  return out;
}
