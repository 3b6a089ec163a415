import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BATCH_ABI,
  EXECUTION_ENTRY_ABI,
  eezBatchDigest,
  encodePostAndVerifyBatch,
  LOOKUP_CALL_ABI,
} from "@ocp/protocol";
import { concatHex, encodeAbiParameters, encodeFunctionData, keccak256, toHex } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  makeRng,
  randBytes,
  randomBatch,
  toViemParam,
  toViemValue,
} from "../../protocol/test/unit/schemas/eezGen.js";
import { EXIT_BAD_INPUT, EXIT_OK, run } from "../src/program.js";

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => err.push(String(s)) > 0);
});
afterEach(() => vi.restoreAllMocks());

const rng = makeRng(42);
const blobs = [randBytes(rng, 32), randBytes(rng, 32)];
const b1 = randomBatch(rng, { txBlobs: 2 });
const b2 = randomBatch(rng, { txBlobs: 2 });
const viemAbi = [{ type: "function", name: "postAndVerifyBatch", inputs: [toViemParam(BATCH_ABI, "batch")] }];

// Expected values through viem only.
function expectedShared(b: typeof b1): `0x${string}` {
  const arr = (hs: `0x${string}`[]) => encodeAbiParameters([{ type: "bytes32[]" }], [hs]);
  const eh = b.entries.map((e) =>
    keccak256(
      encodeAbiParameters([toViemParam(EXECUTION_ENTRY_ABI)], [toViemValue(EXECUTION_ENTRY_ABI, e as never)]),
    ),
  );
  const lookupHashes = b.l1ToL2lookupCalls.map((l) =>
    keccak256(
      encodeAbiParameters([toViemParam(LOOKUP_CALL_ABI)], [toViemValue(LOOKUP_CALL_ABI, l as never)]),
    ),
  );
  return keccak256(
    concatHex([
      arr(eh),
      arr(lookupHashes),
      arr(b.blobIndices.map((i) => toHex(blobs[Number(i)]!))),
      keccak256(toHex(b.callData)),
      toHex(b.crossProofSystemInteractions),
    ]),
  );
}

const calldataHex = (b: typeof b1): `0x${string}` =>
  encodeFunctionData({
    abi: viemAbi,
    functionName: "postAndVerifyBatch",
    args: [toViemValue(BATCH_ABI, b as never)],
  } as never);

describe("ocp table digest", () => {
  it("prints the eez.v1 digest of several batches (hex and @file)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ocp-table-"));
    writeFileSync(join(dir, "b2.hex"), `${toHex(encodePostAndVerifyBatch(b2))}\n`);
    const code = await run([
      "table",
      "digest",
      "--schema",
      "ocp.eez.v1",
      "--calldata",
      calldataHex(b1),
      "--calldata",
      `@${join(dir, "b2.hex")}`,
      "--blob-hashes",
      blobs.map((x) => toHex(x)).join(","),
    ]);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT_OK);
    const json = JSON.parse(out.join(""));
    const shared = [expectedShared(b1), expectedShared(b2)];
    expect(json.batches.map((x: { shared: string }) => x.shared)).toEqual(shared);
    expect(json.tableDigest).toBe(keccak256(encodeAbiParameters([{ type: "bytes32[]" }], [shared])));
    expect(json.entryCount).toBe(b1.entries.length + b2.entries.length);
    expect(json.batches[0].entryHashes).toEqual(
      b1.entries.map((e) =>
        keccak256(
          encodeAbiParameters(
            [toViemParam(EXECUTION_ENTRY_ABI)],
            [toViemValue(EXECUTION_ENTRY_ABI, e as never)],
          ),
        ),
      ),
    );
  });

  it("prints the merkle.v1 root", async () => {
    const entries = ["0x01", "0x0203", "0x"];
    expect(await run(["table", "digest", "--schema", "ocp.merkle.v1", "--entries", entries.join(",")])).toBe(
      EXIT_OK,
    );
    const l = entries.map((e) => keccak256(e as `0x${string}`));
    const root = keccak256(concatHex([keccak256(concatHex([l[0]!, l[1]!])), l[2]!]));
    expect(JSON.parse(out.join(""))).toEqual({ tableDigest: root, entryCount: 3 });
  });

  it.each([
    [["--schema", "ocp.nope", "--calldata", "0x00"], /unknown schema/],
    [["--schema", "ocp.eez.v1"], /--calldata is required/],
    [["--schema", "ocp.eez.v1", "--calldata", "0xzz"], /--calldata\[0\]/],
    [["--schema", "ocp.eez.v1", "--calldata", "0x12345678"], /TABLE_ERROR_WRONG_SELECTOR/],
    [["--schema", "ocp.eez.v1", "--calldata", "@/nonexistent/file"], /cannot read/],
    [["--schema", "ocp.eez.v1", "--calldata", "0x", "--blob-hashes", "0x12"], /--blob-hashes\[0\]/],
    [["--schema", "ocp.merkle.v1"], /--entries is required/],
  ])("exits 2 naming the problem: %j", async (args, message) => {
    expect(await run(["table", "digest", ...args])).toBe(EXIT_BAD_INPUT);
    expect(err.join("\n")).toMatch(message);
    expect(out).toEqual([]);
  });

  it("exits 2 on calldata whose reading reverts; a blob index past the blobs reads as zero", async () => {
    const cd = calldataHex(b1);
    expect(await run(["table", "digest", "--schema", "ocp.eez.v1", "--calldata", cd.slice(0, 200)])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.join("\n")).toMatch(/TABLE_ERROR_REVERTS/);
    // BLOBHASH past the transaction's blobs is zero: EEZ accepts the call, so do we.
    const withBlobs = { ...b1, blobIndices: [0n, 3n] };
    err = [];
    expect(
      await run(["table", "digest", "--schema", "ocp.eez.v1", "--calldata", calldataHex(withBlobs)]),
    ).toBe(EXIT_OK);
    const printed = JSON.parse(out.join("")) as { batches: { shared: string }[] };
    const zero = new Uint8Array(32);
    const expected = eezBatchDigest(encodePostAndVerifyBatch(withBlobs), { blobHashes: [] });
    expect(expected.blobHashes).toEqual([zero, zero]);
    expect(printed.batches[0]!.shared).toBe(toHex(expected.shared));
  });
});
