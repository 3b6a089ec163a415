// The optional `proof` checker (docs/spec.md §6): for every proof system k of every
// ocp.eez.v1 batch, rebuild publicInputsHash_k with the verification keys the
// operator PINNED in config and eth_call `IProofSystem.verify(proof, hash)` at
// the slot's block. A vk changed on L1 then fails here, because the on-chain
// verifier was fed a hash made with the new vk while ours uses the pinned one.
import {
  abiBytes,
  abiBytes32,
  abiEncode,
  abiTuple,
  concatBytes,
  type EezBatchDigest,
  type EezBlockContext,
  type EezProofFields,
  eezBlockContext,
  eezProofFields,
  eezPublicInputsHash,
  fromHex,
  isProtocolError,
  toHex,
} from "@ocp/protocol";
import { getBlock } from "../chain/l1/reader.js";
import { httpJsonRpc, type JsonRpcClient, RpcError } from "../chain/l1/rpc.js";
import {
  AbstainReason,
  type CheckInput,
  type CheckVerdict,
  type ObservedTable,
  type TableChecker,
} from "./types.js";

type ProvedBatch = EezBatchDigest & EezProofFields;

/**
 * Each batch's digest with its proof fields, read from the call's calldata
 * with the same calldata-accessor reader as the digest (docs/spec.md §4.1).
 */
function proofBatches(table: ObservedTable): ProvedBatch[] {
  return table.digest.batches.map((b, i) => {
    const call = table.calls[i]!;
    try {
      return { ...b, ...eezProofFields(call.calldata, call.gas) };
    } catch (e) {
      // [ABSTAIN] EEZ reads these fields to verify: a batch whose fields cannot be read proves nothing
      throw new Abstain(
        AbstainReason.CHECKER_FAILED,
        `batch ${i}: proof fields unreadable (${isProtocolError(e) ? e.message : String(e)})`,
      );
    }
  });
}

/** The interface EEZ calls for each proof system (contracts/test/EcdsaProofSystem.sol declares the same). */
export const I_PROOF_SYSTEM_ABI = [
  {
    type: "function",
    name: "verify",
    stateMutability: "view",
    inputs: [
      { name: "proof", type: "bytes" },
      { name: "publicInputsHash", type: "bytes32" },
    ],
    outputs: [{ name: "", type: "bool" }],
  },
] as const;

/**
 * Pinned verification keys, per proof-system address (0x…20, any case) and
 * rollup id (decimal string):
 * `{ "0xAbC…": { "vks": { "1": "0x…32", "7": "0x…32" } } }`.
 * A proof system that is not listed is not trusted: a batch naming it abstains.
 */
export type PinnedProofSystems = Record<string, { vks: Record<string, string> }>;

export interface ProofCheckerOptions {
  proofSystems: PinnedProofSystems;
  /** RPC for block hashes and eth_call. @default the node's first `l1.rpcUrls` */
  rpcUrl?: string;
  /** @default 5000 */
  rpcTimeoutMs: number;
  /** Let a batch without any proof system pass (nothing to verify). @default false */
  allowUnproven: boolean;
  /** (block, digest) results kept in memory. @default 1024 */
  maxCachedResults: number;
  /** eth_calls in flight for one table. @default 8 */
  maxConcurrentCalls: number;
}

export type ProofCheckerOptionsInput = Partial<ProofCheckerOptions> &
  Pick<ProofCheckerOptions, "proofSystems">;

export const defaultProofCheckerOptions: Omit<ProofCheckerOptions, "proofSystems" | "rpcUrl"> = {
  rpcTimeoutMs: 5000,
  allowUnproven: false,
  maxCachedResults: 1024,
  maxConcurrentCalls: 8,
};

/** Selector of `verify(bytes,bytes32)`: the first 4 bytes of keccak256 of that signature. */
export const VERIFY_SELECTOR = "0x6b406341";

/** `verify`'s parameters; calldata carries them as this tuple's encoding. */
const VERIFY_ARGS = abiTuple({ proof: abiBytes, publicInputsHash: abiBytes32 });

/**
 * ABI calldata of `IProofSystem.verify(proof, publicInputsHash)`, through the
 * protocol's ABI codec so the checker needs no viem. `abiEncode` of a dynamic
 * tuple starts with its 0x20 offset word; a parameter list does not.
 */
export function verifyCalldata(proof: Uint8Array, publicInputsHash: Uint8Array): `0x${string}` {
  if (publicInputsHash.length !== 32) throw new Error("proof: publicInputsHash must be 32 bytes");
  const encoded = abiEncode(VERIFY_ARGS, { proof, publicInputsHash }, fromHex(VERIFY_SELECTOR));
  return toHex(concatBytes(encoded.subarray(0, 4), encoded.subarray(4 + 32)));
}

const UINT64_MAX = (1n << 64n) - 1n;
// EVM BLOCKHASH sees only the 256 most recent complete blocks.
const BLOCKHASH_WINDOW = 256n;
const ZERO32 = new Uint8Array(32);

/** One verify call: batch i, proof system k. */
interface ProofJob {
  batch: number;
  k: number;
  proofSystem: `0x${string}`;
  proof: Uint8Array;
  publicInputsHash: Uint8Array;
}

class Abstain extends Error {
  constructor(
    readonly reason: AbstainReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Parses the pinned config once; throws on operator mistakes (at startup, not per slot). */
function parsePinned(cfg: PinnedProofSystems): Map<string, Map<bigint, Uint8Array>> {
  const out = new Map<string, Map<bigint, Uint8Array>>();
  for (const [address, entry] of Object.entries(cfg)) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new Error(`proof: bad proof-system address ${address}`);
    const key = address.toLowerCase();
    if (out.has(key)) throw new Error(`proof: proof system ${address} listed twice`);
    const vks = new Map<bigint, Uint8Array>();
    for (const [rollup, vk] of Object.entries(entry?.vks ?? {})) {
      if (!/^(0|[1-9][0-9]*)$/.test(rollup) || BigInt(rollup) >= 1n << 256n) {
        throw new Error(`proof: rollup id "${rollup}" of ${address} is not a uint256 decimal string`);
      }
      if (typeof vk !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(vk)) {
        throw new Error(`proof: vk of rollup ${rollup} on ${address} must be 0x + 32 bytes`);
      }
      vks.set(BigInt(rollup), fromHex(vk.toLowerCase(), 32));
    }
    out.set(key, vks);
  }
  return out;
}

export class ProofChecker implements TableChecker {
  readonly name = "proof";
  private readonly opts: ProofCheckerOptions;
  private readonly rpc: JsonRpcClient;
  private readonly pinned: Map<string, Map<bigint, Uint8Array>>;
  /** Keyed by block hash + table digest; transient failures are dropped. */
  private readonly results = new Map<string, Promise<CheckVerdict>>();

  constructor(input: ProofCheckerOptionsInput, modules: { rpc?: JsonRpcClient } = {}) {
    this.opts = { ...defaultProofCheckerOptions, ...input };
    this.pinned = parsePinned(input.proofSystems);
    if (modules.rpc) this.rpc = modules.rpc;
    else if (this.opts.rpcUrl) this.rpc = httpJsonRpc(this.opts.rpcUrl, this.opts.rpcTimeoutMs);
    else throw new Error("proof: an RPC URL is required");
  }

  /** Never throws: every failure is an abstention with a reason. */
  check(input: CheckInput): Promise<CheckVerdict> {
    const key = `${toHex(input.table.block.hash)}:${toHex(input.observation.tableDigest)}`;
    const cached = this.results.get(key);
    if (cached) return cached;
    const p = this.run(input.table).then((v) => {
      // RPC trouble may clear up: let the next decision ask again.
      if (!v.ok && v.reason === AbstainReason.CHECKER_ERROR) this.results.delete(key);
      return v;
    });
    this.results.set(key, p);
    while (this.results.size > this.opts.maxCachedResults) {
      this.results.delete(this.results.keys().next().value as string);
    }
    return p;
  }

  private async run(table: ObservedTable): Promise<CheckVerdict> {
    try {
      const jobs = await this.jobs(table);
      const failures = await this.verifyAll(jobs, table.block.hash);
      if (failures.length > 0)
        return { ok: false, reason: AbstainReason.CHECKER_FAILED, detail: failures.join("; ") };
      return { ok: true };
    } catch (e) {
      if (e instanceof Abstain) return { ok: false, reason: e.reason, detail: e.detail };
      if (e instanceof RpcError) return { ok: false, reason: AbstainReason.CHECKER_ERROR, detail: e.message };
      return { ok: false, reason: AbstainReason.CHECKER_ERROR, detail: String(e) };
    }
  }

  /** The verify calls of the whole table, each with the hash rebuilt from pinned vks. */
  private async jobs(table: ObservedTable): Promise<ProofJob[]> {
    const hashes = await this.blockHashes(table);
    const env = {
      blockNumber: table.block.number,
      timestamp: table.block.timestamp,
      blockHash: (n: bigint): Uint8Array => hashes.get(n) ?? ZERO32,
    };
    const jobs: ProofJob[] = [];
    proofBatches(table).forEach((b, i) => {
      // [ABSTAIN] a batch must carry one proof per proof system (EEZ indexes proofs[k])
      if (b.proofs.length !== b.proofSystems.length) {
        throw new Abstain(
          AbstainReason.CHECKER_FAILED,
          `batch ${i}: ${b.proofSystems.length} proof systems but ${b.proofs.length} proofs`,
        );
      }
      if (b.proofSystems.length === 0 && !this.opts.allowUnproven) {
        throw new Abstain(AbstainReason.CHECKER_FAILED, `batch ${i}: no proof system, nothing proves it`);
      }
      for (const r of b.rollupIdsWithProofSystems) {
        for (const k of r.proofSystemIndex) {
          // [ABSTAIN] every listed proof-system index must exist (EEZ would revert)
          if (k >= BigInt(b.proofSystems.length)) {
            throw new Abstain(
              AbstainReason.CHECKER_FAILED,
              `batch ${i}: rollup ${r.rollupId} lists proof system ${k}`,
            );
          }
        }
      }
      const ctx: EezBlockContext = eezBlockContext(b.blockNumber, env);
      for (let k = 0; k < b.proofSystems.length; k++) {
        jobs.push(this.job(b, i, k, ctx));
      }
    });
    return jobs;
  }

  private job(b: ProvedBatch, i: number, k: number, ctx: EezBlockContext): ProofJob {
    const proofSystem = toHex(b.proofSystems[k]!);
    const vks = this.pinned.get(proofSystem);
    // [ABSTAIN] only pinned proof systems are trusted: an unknown verifier proves nothing
    if (vks === undefined) {
      throw new Abstain(
        AbstainReason.CHECKER_ERROR,
        `batch ${i}: proof system ${proofSystem} is not pinned in config`,
      );
    }
    let publicInputsHash: Uint8Array;
    try {
      publicInputsHash = eezPublicInputsHash(
        b.shared,
        b.rollupIdsWithProofSystems,
        BigInt(k),
        (rid) => vks.get(rid),
        ctx,
      );
    } catch (e) {
      // A missing pinned vk means this node cannot check, not that the proof is bad.
      if (isProtocolError(e) && e.code === "TABLE_ERROR_MISSING_VK") {
        throw new Abstain(
          AbstainReason.CHECKER_ERROR,
          `batch ${i}: ${e.message} (pin it under ${proofSystem})`,
        );
      }
      throw new Abstain(
        AbstainReason.CHECKER_FAILED,
        `batch ${i}: ${isProtocolError(e) ? e.message : String(e)}`,
      );
    }
    return { batch: i, k, proofSystem, proof: b.proofs[k]!, publicInputsHash };
  }

  /**
   * The block hashes the batches' block-number rule needs, as BLOCKHASH sees
   * them from the slot's block n: only blocks n-256..n-1 have one (n-1 is the
   * block's parent hash, already known); others stay zero.
   */
  private async blockHashes(table: ObservedTable): Promise<Map<bigint, Uint8Array>> {
    const n = table.block.number;
    const out = new Map<bigint, Uint8Array>();
    if (n > 0n) out.set(n - 1n, table.block.parentHash);
    const wanted = new Set<bigint>();
    for (const b of proofBatches(table)) {
      const bn = b.blockNumber;
      if (bn === 0n || bn === UINT64_MAX || bn >= n || bn + BLOCKHASH_WINDOW < n || out.has(bn)) continue;
      wanted.add(bn);
    }
    for (const bn of wanted) {
      const block = await getBlock(this.rpc, bn);
      if (block === undefined) throw new Abstain(AbstainReason.CHECKER_ERROR, `block ${bn} not found`);
      out.set(bn, block.hash);
    }
    return out;
  }

  /** Runs the verify calls, at most `maxConcurrentCalls` at once; returns the failures. */
  private async verifyAll(jobs: ProofJob[], blockHash: Uint8Array): Promise<string[]> {
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const bad = await this.verifyOne(job, blockHash);
        if (bad !== undefined) failures.push(bad);
      }
    };
    const workers = Math.max(1, Math.min(this.opts.maxConcurrentCalls, jobs.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return failures;
  }

  /** undefined if verify returned true; a description if it returned false or reverted. */
  private async verifyOne(job: ProofJob, blockHash: Uint8Array): Promise<string | undefined> {
    const what = `batch ${job.batch} proof system ${job.k} (${job.proofSystem})`;
    const data = verifyCalldata(job.proof, job.publicInputsHash);
    let result: unknown;
    try {
      // EIP-1898: pin the exact block observe read, not whatever holds its number now.
      result = await this.rpc.request("eth_call", [
        { to: job.proofSystem, data },
        { blockHash: toHex(blockHash) },
      ]);
    } catch (e) {
      // [ABSTAIN] a reverting verifier rejects the proof; other RPC errors are ours
      if (e instanceof RpcError && e.kind === "RPC_ERROR" && /revert/i.test(e.message)) {
        return `${what}: verify reverted (${e.message})`;
      }
      throw e;
    }
    // [ABSTAIN] verify must return exactly abi.encode(true)
    const word =
      typeof result === "string" && /^0x[0-9a-fA-F]{64}$/.test(result) ? BigInt(result) : undefined;
    if (word === 1n) return undefined;
    if (word === 0n) return `${what}: verify returned false`;
    return `${what}: verify returned ${typeof result === "string" ? result.slice(0, 80) : typeof result}, not a bool`;
  }
}
