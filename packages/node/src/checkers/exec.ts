// The optional `exec` checker (docs/spec.md §6): runs an operator's program with the
// slot's table as JSON on stdin; exit 0 = valid, anything else = abstain.
// Asynchronous (spawn), bounded in time, output and concurrent runs.
import { type ChildProcess, spawn } from "node:child_process";
import {
  decodeEezBatch,
  EEZ_SCHEMA_NAME,
  type Observation,
  type ObservationJson,
  observationToJson,
  toHex,
} from "@ocp/protocol";
import {
  AbstainReason,
  type CheckInput,
  type CheckVerdict,
  type ObservedTable,
  type StreamContext,
  type TableChecker,
} from "./types.js";

export interface ExecCheckerOptions {
  /** Program to run (absolute path, or a name looked up in PATH). */
  command: string;
  /** @default [] */
  args: string[];
  /** Wall-clock limit per run; then the program's process group gets SIGKILL. @default 10_000 */
  timeoutMs: number;
  /** stdout + stderr bytes allowed; more kills the run and abstains. @default 65_536 */
  maxOutputBytes: number;
  /** Runs at once; further checks queue. @default 2 */
  maxConcurrent: number;
  /**
   * Extra environment. The program does NOT inherit the node's environment
   * (it may hold keystore passwords); it gets PATH, these and the OCP_* variables.
   * @default {}
   */
  env: Record<string, string>;
  /** Working directory. @default the node's */
  cwd?: string;
  /** (block, digest) results kept in memory. @default 1024 */
  maxCachedResults: number;
}

export type ExecCheckerOptionsInput = Partial<ExecCheckerOptions> & Pick<ExecCheckerOptions, "command">;

export const defaultExecCheckerOptions: Omit<ExecCheckerOptions, "command" | "cwd"> = {
  args: [],
  timeoutMs: 10_000,
  maxOutputBytes: 65_536,
  maxConcurrent: 2,
  env: {},
  maxCachedResults: 1024,
};

/** Any decoded value with bigints as decimal strings and bytes as 0x-hex. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ExecBatchJson {
  /** The postAndVerifyBatch calldata (selector included). */
  calldata: string;
  txHash: string;
  txIndex: number;
  /** Versioned blob hashes of the call's transaction. */
  blobHashes: string[];
  /** The batch digest that enters tableDigest. */
  shared: string;
  entryHashes: string[];
  lookupHashes: string[];
  entryCount: number;
  /** The decoded ProofSystemBatchPerVerificationEntries (docs/spec.md Appendix A field names). */
  decoded: JsonValue;
}

/**
 * What the program reads on stdin: the Observation JSON form (docs/spec.md §3) plus
 * the table. `version` changes if this shape ever changes incompatibly.
 */
export interface ExecInputJson extends ObservationJson {
  version: 1;
  schemaName: string;
  streamName: string;
  l1ParentHash: string;
  /** Decimal string. */
  l1Timestamp: string;
  batches: ExecBatchJson[];
}

/** Values from the decoder → JSON: bigint → decimal string, bytes → 0x-hex. */
export function toJsonValue(v: unknown): JsonValue {
  if (typeof v === "bigint") return v.toString(10);
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v === null || v === undefined) return null;
  if (typeof v === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x);
    return out;
  }
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return String(v);
}

/** Builds the stdin document. Throws only ProtocolError (a call our decoder refuses). */
export function execInput(
  stream: StreamContext,
  observation: Observation,
  table: ObservedTable,
): ExecInputJson {
  return {
    version: 1,
    schemaName: EEZ_SCHEMA_NAME,
    streamName: stream.name,
    ...observationToJson(observation),
    l1ParentHash: toHex(table.block.parentHash),
    l1Timestamp: table.block.timestamp.toString(10),
    batches: table.calls.map((call, i) => {
      const d = table.digest.batches[i]!;
      return {
        calldata: toHex(call.calldata),
        txHash: call.txHash,
        txIndex: call.txIndex,
        blobHashes: call.blobHashes.map(toHex),
        shared: toHex(d.shared),
        entryHashes: d.entryHashes.map(toHex),
        lookupHashes: d.lookupHashes.map(toHex),
        entryCount: d.entryCount,
        decoded: toJsonValue(decodeEezBatch(call.calldata)),
      };
    }),
  };
}

/** How one run ended. */
export type ExecOutcome =
  | { kind: "exit"; code: number; output: string }
  | { kind: "signal"; signal: string; output: string }
  | { kind: "timeout"; output: string }
  | { kind: "output-limit"; output: string }
  | { kind: "spawn-error"; detail: string }
  | { kind: "aborted"; output: string };

// Process groups still running, SIGKILLed if this process exits first.
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    // Negative pid: the whole group (the program and anything it started).
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is gone already.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pid of liveGroups) killGroup(pid);
  });
}

/** Keeps the last bytes of a stream's text for the log (the end usually says why). */
function tail(text: string, max = 500): string {
  const t = text.trim();
  return t.length > max ? `…${t.slice(t.length - max)}` : t;
}

export class ExecChecker implements TableChecker {
  readonly name = "exec";
  private readonly opts: ExecCheckerOptions;
  private readonly results = new Map<string, Promise<CheckVerdict>>();
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly children = new Set<ChildProcess>();
  private closed = false;

  constructor(input: ExecCheckerOptionsInput) {
    this.opts = { ...defaultExecCheckerOptions, ...input };
    if (this.opts.command.length === 0) throw new Error("exec: command is empty");
    if (this.opts.maxConcurrent < 1) throw new Error("exec: maxConcurrent must be ≥ 1");
    if (this.opts.timeoutMs <= 0) throw new Error("exec: timeoutMs must be > 0");
  }

  /** Runs at most once per (block, digest) unless the run failed for a transient reason. */
  check(input: CheckInput): Promise<CheckVerdict> {
    const key = `${toHex(input.table.block.hash)}:${toHex(input.observation.tableDigest)}`;
    const cached = this.results.get(key);
    if (cached) return cached;
    const p = this.judge(input).then((v) => {
      if (!v.ok && v.reason === AbstainReason.CHECKER_ERROR) this.results.delete(key);
      return v;
    });
    this.results.set(key, p);
    while (this.results.size > this.opts.maxCachedResults) {
      this.results.delete(this.results.keys().next().value as string);
    }
    return p;
  }

  /** Kills running programs; later checks abstain. */
  close(): void {
    this.closed = true;
    for (const c of this.children) killGroup(c.pid);
    for (const wake of this.queue.splice(0)) wake();
  }

  private async judge(input: CheckInput): Promise<CheckVerdict> {
    let stdin: string;
    try {
      stdin = JSON.stringify(execInput(input.stream, input.observation, input.table));
    } catch (e) {
      return { ok: false, reason: AbstainReason.CHECKER_ERROR, detail: `cannot build input: ${String(e)}` };
    }
    const env: Record<string, string> = {
      ...(process.env.PATH !== undefined ? { PATH: process.env.PATH } : {}),
      ...this.opts.env,
      OCP_SCHEMA: EEZ_SCHEMA_NAME,
      OCP_STREAM: toHex(input.stream.id),
      OCP_STREAM_NAME: input.stream.name,
      OCP_SLOT: input.observation.slot.toString(10),
      OCP_L1_BLOCK_NUMBER: input.observation.l1BlockNumber.toString(10),
      OCP_L1_BLOCK_HASH: toHex(input.observation.l1BlockHash),
      OCP_TABLE_DIGEST: toHex(input.observation.tableDigest),
      OCP_ENTRY_COUNT: String(input.observation.entryCount),
    };
    const out = await this.withSlot(() => this.runOnce(stdin, env, input.signal));
    switch (out.kind) {
      case "exit":
        if (out.code === 0) return { ok: true };
        // [ABSTAIN] the program judged the table invalid
        return {
          ok: false,
          reason: AbstainReason.CHECKER_FAILED,
          detail: `exit ${out.code}: ${tail(out.output)}`,
        };
      case "signal":
        return {
          ok: false,
          reason: AbstainReason.CHECKER_ERROR,
          detail: `killed by ${out.signal}: ${tail(out.output)}`,
        };
      case "timeout":
        return {
          ok: false,
          reason: AbstainReason.CHECKER_ERROR,
          detail: `timed out after ${this.opts.timeoutMs} ms`,
        };
      case "output-limit":
        return {
          ok: false,
          reason: AbstainReason.CHECKER_ERROR,
          detail: `more than ${this.opts.maxOutputBytes} bytes of output`,
        };
      case "spawn-error":
        return { ok: false, reason: AbstainReason.CHECKER_ERROR, detail: `cannot run: ${out.detail}` };
      case "aborted":
        return { ok: false, reason: AbstainReason.CHECKER_ERROR, detail: "aborted" };
    }
  }

  private async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running >= this.opts.maxConcurrent && !this.closed) {
      await new Promise<void>((r) => this.queue.push(r));
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** One run. Resolves on every path: exit, signal, timeout, output cap, abort, spawn failure. */
  runOnce(stdin: string, env: Record<string, string>, signal?: AbortSignal): Promise<ExecOutcome> {
    if (this.closed || signal?.aborted) return Promise.resolve({ kind: "aborted", output: "" });
    return new Promise<ExecOutcome>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(this.opts.command, this.opts.args, {
          stdio: ["pipe", "pipe", "pipe"],
          // Own process group, so a timeout kills whatever the program started too.
          detached: true,
          env,
          ...(this.opts.cwd !== undefined ? { cwd: this.opts.cwd } : {}),
        });
      } catch (e) {
        resolve({ kind: "spawn-error", detail: (e as Error).message });
        return;
      }
      const pid = child.pid;
      if (pid !== undefined) {
        liveGroups.add(pid);
        installExitHook();
      }
      this.children.add(child);
      const chunks: Buffer[] = [];
      let bytes = 0;
      let stopped: "timeout" | "output-limit" | "aborted" | undefined;
      let done = false;
      const output = (): string => Buffer.concat(chunks).toString("utf8");

      const finish = (o: ExecOutcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(hardStop);
        signal?.removeEventListener("abort", onAbort);
        killGroup(pid); // stragglers the program left behind
        if (pid !== undefined) liveGroups.delete(pid);
        this.children.delete(child);
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve(o);
      };
      const stop = (why: "timeout" | "output-limit" | "aborted"): void => {
        if (stopped !== undefined || done) return;
        stopped = why;
        killGroup(pid);
      };
      const onAbort = (): void => stop("aborted");
      signal?.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(() => stop("timeout"), this.opts.timeoutMs);
      // If something keeps the pipes open after the kill, do not wait on it forever.
      const hardStop = setTimeout(
        () => finish({ kind: stopped ?? "timeout", output: output() }),
        this.opts.timeoutMs + 2000,
      );

      const onData = (b: Buffer): void => {
        if (bytes < this.opts.maxOutputBytes) chunks.push(b.subarray(0, this.opts.maxOutputBytes - bytes));
        bytes += b.length;
        if (bytes > this.opts.maxOutputBytes) stop("output-limit");
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.on("error", (e) => finish({ kind: "spawn-error", detail: e.message }));
      child.on("exit", () => {
        // Give the pipes a moment to drain, then stop waiting for them.
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, 200).unref();
      });
      child.on("close", (code, sig) => {
        if (stopped !== undefined) finish({ kind: stopped, output: output() });
        else if (sig !== null) finish({ kind: "signal", signal: sig, output: output() });
        else finish({ kind: "exit", code: code ?? -1, output: output() });
      });
      // The program may exit without reading its input (EPIPE): that is its verdict to give.
      child.stdin?.on("error", () => {});
      child.stdin?.end(stdin);
    });
  }
}
