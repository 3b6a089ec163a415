// The `exec` checker with real child processes: verdicts by exit status,
// crash, timeout (whole process group killed), output cap, concurrency bound,
// per-digest caching, a live event loop, and the shipped example program.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  eezTableDigest,
  encodePostAndVerifyBatch,
  type Observation,
  type ProofSystemBatchPerVerificationEntries,
  SCHEMA_EEZ_V1,
  streamId,
  toHex,
} from "@ocp/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../../../protocol/test/unit/schemas/eezGen.js";
import { ExecChecker, type ExecCheckerOptionsInput, execInput } from "../../../src/checkers/exec.js";
import { AbstainReason, type CheckInput, type StreamContext } from "../../../src/checkers/types.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/exec-check.mjs", import.meta.url));
const NODE = process.execPath;
const stream: StreamContext = {
  name: "eez",
  id: streamId(31337, new Uint8Array(20).fill(7)),
  l1ChainId: 31337,
  tableContract: `0x${"07".repeat(20)}`,
};
const rng = makeRng(11);
let blockCounter = 100n;

/** A CheckInput for these batches, as observe would hand it over (fresh block each time). */
function inputFor(
  batches: ProofSystemBatchPerVerificationEntries[],
  entryCountOverride?: number,
): CheckInput {
  const calls = batches.map((b, i) => ({
    calldata: encodePostAndVerifyBatch(b),
    blobHashes: [],
    txHash: `0x${(i + 1).toString(16).padStart(64, "0")}`,
    txIndex: i,
  }));
  const digest = eezTableDigest(calls);
  const n = blockCounter++;
  const hash = new Uint8Array(32);
  new DataView(hash.buffer).setBigUint64(24, n);
  const observation: Observation = {
    stream: stream.id,
    slot: n,
    l1BlockNumber: n,
    l1BlockHash: hash,
    schema: SCHEMA_EEZ_V1,
    tableDigest: digest.tableDigest,
    entryCount: entryCountOverride ?? digest.entryCount,
  };
  return {
    stream,
    observation,
    table: {
      block: { number: n, hash, parentHash: new Uint8Array(32), timestamp: 1000n + n },
      calls,
      digest,
    },
  };
}

function goodBatch(): ProofSystemBatchPerVerificationEntries {
  for (;;) {
    const b = randomBatch(rng, { maxEntries: 3 });
    if (b.entries.length > 0) return b;
  }
}

const script = (src: string, extra: Partial<ExecCheckerOptionsInput> = {}): ExecChecker =>
  new ExecChecker({ command: NODE, args: ["-e", src], timeoutMs: 5000, ...extra });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ocp-exec-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("exec checker verdicts", () => {
  it("exit 0 signs; the program sees the table JSON and OCP_* variables", async () => {
    const input = inputFor([goodBatch()]);
    // Exits 0 only if stdin matches what the node would send and the env agrees with it.
    const expected = JSON.stringify(execInput(stream, input.observation, input.table));
    const c = script(
      `let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s);` +
        `const ok=s===process.env.EXPECTED&&process.env.OCP_SLOT===t.slot&&process.env.OCP_STREAM===t.stream&&` +
        `process.env.OCP_TABLE_DIGEST===t.tableDigest&&process.env.OCP_L1_BLOCK_HASH===t.l1BlockHash&&` +
        `process.env.SECRET===undefined;process.exit(ok?0:3)})`,
      { env: { EXPECTED: expected } },
    );
    process.env.SECRET = "node-only";
    try {
      expect(await c.check(input)).toEqual({ ok: true });
    } finally {
      delete process.env.SECRET;
    }
    // Mutating the table changes stdin, so the same program now refuses it.
    const other = inputFor([goodBatch()]);
    const v = await c.check(other);
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_FAILED });
  });

  it("a non-zero exit abstains with the program's stderr in the detail", async () => {
    const c = script(`process.stderr.write("entry 3 is bogus\\n");process.exit(4)`);
    const v = await c.check(inputFor([goodBatch()]));
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reason).toBe(AbstainReason.CHECKER_FAILED);
    expect(v.detail).toContain("exit 4");
    expect(v.detail).toContain("entry 3 is bogus");
  });

  it("a crash (signal) abstains", async () => {
    const c = script(`process.kill(process.pid,"SIGSEGV")`);
    const v = await c.check(inputFor([goodBatch()]));
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_ERROR });
    if (!v.ok) expect(v.detail).toContain("SIGSEGV");
  });

  it("a missing program abstains", async () => {
    const c = new ExecChecker({ command: join(dir, "no-such-program") });
    const v = await c.check(inputFor([goodBatch()]));
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_ERROR });
  });

  it("a timeout abstains and kills the program's whole process group", async () => {
    const pidFile = join(dir, "grandchild.pid");
    // The program starts a grandchild that would outlive it, records its pid, then hangs.
    const c = script(
      `const {spawn}=require("node:child_process");const g=spawn(process.execPath,["-e","setInterval(()=>{},1000)"],{stdio:"ignore"});` +
        `require("node:fs").writeFileSync(${JSON.stringify(pidFile)},String(g.pid));setInterval(()=>{},1000)`,
      { timeoutMs: 700 },
    );
    const t0 = Date.now();
    const v = await c.check(inputFor([goodBatch()]));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_ERROR });
    if (!v.ok) expect(v.detail).toContain("timed out");
    const gpid = Number(readFileSync(pidFile, "utf8"));
    expect(gpid).toBeGreaterThan(0);
    // SIGKILL is asynchronous: give the kernel a moment, then the grandchild must be gone.
    // Killed but not yet reaped by init shows as a zombie ("Z"), which counts as gone.
    const running = (): boolean => {
      try {
        const stat = readFileSync(`/proc/${gpid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
      } catch {
        return false;
      }
    };
    let alive = running();
    for (let i = 0; i < 50 && alive; i++) {
      await new Promise((r) => setTimeout(r, 20));
      alive = running();
    }
    expect(alive).toBe(false);
  });

  it("too much output abstains", async () => {
    const c = script(`process.stdout.write("x".repeat(1<<20));setTimeout(()=>{},2000)`, {
      maxOutputBytes: 4096,
    });
    const v = await c.check(inputFor([goodBatch()]));
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_ERROR });
    if (!v.ok) expect(v.detail).toContain("4096 bytes");
  });

  it("the event loop keeps running while a slow program runs", async () => {
    // The child busy-waits 600 ms; our timer must keep firing meanwhile.
    const c = script(`const t=Date.now();while(Date.now()-t<600){}`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const t0 = Date.now();
    const v = await c.check(inputFor([goodBatch()]));
    const elapsed = Date.now() - t0;
    clearInterval(timer);
    expect(v).toEqual({ ok: true });
    expect(elapsed).toBeGreaterThanOrEqual(600);
    // A blocked loop would give ~0 ticks; allow for a busy shared machine.
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 20 / 3));
  });

  it("runs once per digest, and at most maxConcurrent programs at once", async () => {
    const counter = join(dir, "runs.txt");
    const lock = join(dir, "lock");
    // Each run takes an exclusive lock file for 200 ms: overlapping runs fail.
    const src =
      `const fs=require("node:fs");fs.appendFileSync(${JSON.stringify(counter)},"x");` +
      `let fd;try{fd=fs.openSync(${JSON.stringify(lock)},"wx")}catch{process.exit(9)}` +
      `setTimeout(()=>{fs.closeSync(fd);fs.unlinkSync(${JSON.stringify(lock)})},200)`;
    const serial = script(src, { maxConcurrent: 1 });
    const same = inputFor([goodBatch()]);
    const inputs = [same, same, inputFor([goodBatch()]), inputFor([goodBatch()])];
    const verdicts = await Promise.all(inputs.map((i) => serial.check(i)));
    expect(verdicts.every((v) => v.ok)).toBe(true);
    expect(readFileSync(counter, "utf8")).toBe("xxx"); // the repeated digest ran once
    expect(existsSync(lock)).toBe(false);

    // The same program with no bound collides with itself: the lock test can fail.
    const parallel = script(src, { maxConcurrent: 3 });
    const vs = await Promise.all([0, 1, 2].map(() => parallel.check(inputFor([goodBatch()]))));
    expect(vs.some((v) => !v.ok)).toBe(true);
  });
});

describe("example program examples/exec-check.mjs", () => {
  const example = (): ExecChecker => new ExecChecker({ command: NODE, args: [EXAMPLE], timeoutMs: 5000 });

  it("passes a good table", async () => {
    expect(await example().check(inputFor([goodBatch(), goodBatch()]))).toEqual({ ok: true });
  });

  it("fails a table with an empty batch", async () => {
    const empty = { ...goodBatch(), entries: [] };
    const v = await example().check(inputFor([goodBatch(), empty]));
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_FAILED });
    if (!v.ok) expect(v.detail).toContain("batch 1 has no ExecutionEntry");
  });

  it("fails a table whose entryCount does not add up", async () => {
    const batches = [goodBatch()];
    const real = inputFor(batches).observation.entryCount;
    const v = await example().check(inputFor(batches, real + 1));
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_FAILED });
    if (!v.ok) expect(v.detail).toContain(`the observation says ${real + 1}`);
  });

  it("input JSON: bigints as decimal strings, bytes as hex, Observation fields", () => {
    const b = goodBatch();
    const input = inputFor([b]);
    const j = execInput(stream, input.observation, input.table);
    expect(j.slot).toBe(input.observation.slot.toString());
    expect(j.tableDigest).toBe(toHex(input.observation.tableDigest));
    const d = j.batches[0]!.decoded as { blockNumber: string; proofSystems: string[]; entries: unknown[] };
    expect(d.blockNumber).toBe(b.blockNumber.toString());
    expect(d.proofSystems).toEqual(b.proofSystems.map(toHex));
    expect(d.entries.length).toBe(b.entries.length);
  });
});
