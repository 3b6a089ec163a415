// `ocp table digest`: computes a table digest from batch calldata (`ocp.eez.v1`)
// or from opaque entries (`ocp.merkle.v1`) and prints it as JSON.
import { readFile } from "node:fs/promises";
import {
  EEZ_SCHEMA_NAME,
  eezTableDigest,
  fromHex,
  MERKLE_SCHEMA_NAME,
  merkleTableDigest,
  observationToJson,
  toHex,
} from "@ocp/protocol";
import type { Command } from "commander";
import { checkAddress, checkUrl } from "../util/chain.js";
import { badInput, parseBigIntArg, parseIntArg, reason } from "../util/exit.js";
import { readEezCalls } from "../util/io.js";
import { observeFromChain } from "../util/observe.js";

/** Entries for ocp.merkle.v1: `0xaa,0xbb` or `@file` with a JSON array of hex strings or one hex per line. */
async function readEntries(arg: string): Promise<Uint8Array[]> {
  let items: unknown[];
  if (arg.startsWith("@")) {
    let text: string;
    try {
      text = (await readFile(arg.slice(1), "utf8")).trim();
    } catch (e) {
      return badInput(
        `--entries: cannot read ${arg.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? reason(e)}`,
      );
    }
    if (text.startsWith("[")) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (!Array.isArray(parsed)) return badInput("--entries: expected a JSON array of hex strings");
        items = parsed;
      } catch (e) {
        return badInput(`--entries: ${reason(e)}`);
      }
    } else {
      items = text === "" ? [] : text.split(/\r?\n/).map((l) => l.trim());
    }
  } else {
    items = arg === "" ? [] : arg.split(",");
  }
  return items.map((x, i) => {
    try {
      return fromHex(x);
    } catch (e) {
      return badInput(`--entries[${i}]: ${reason(e)}`);
    }
  });
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface DigestOpts {
  schema?: string;
  calldata: string[];
  blobHashes?: string;
  entries?: string;
  rpc?: string;
  contract?: string;
  slot?: bigint;
  l1ChainId?: number;
}

/** `--rpc --contract --slot`: the slot's table as a node observes it (internal calls included). */
async function digestFromChain(opts: DigestOpts): Promise<void> {
  if (opts.schema !== undefined && opts.schema !== EEZ_SCHEMA_NAME) {
    badInput(`--rpc reads ${EEZ_SCHEMA_NAME} tables only, not ${JSON.stringify(opts.schema)}`);
  }
  if (opts.calldata.length > 0 || opts.entries !== undefined || opts.blobHashes !== undefined) {
    badInput("--rpc replaces --calldata, --blob-hashes and --entries");
  }
  if (opts.contract === undefined) badInput("--contract <address> is required with --rpc");
  if (opts.slot === undefined) badInput("--slot <n> is required with --rpc");
  checkUrl(opts.rpc!, "--rpc");
  const table = checkAddress(opts.contract, "--contract");
  const { result } = await observeFromChain(opts.rpc!, table, opts.slot, opts.l1ChainId);
  const d = result.table.digest;
  console.log(
    JSON.stringify({
      tableDigest: toHex(d.tableDigest),
      entryCount: d.entryCount,
      batches: d.batches.map((b) => ({ shared: toHex(b.shared), entryHashes: b.entryHashes.map(toHex) })),
      calls: result.table.calls.length,
      observation: observationToJson(result.observation),
    }),
  );
}

export function registerTable(program: Command): void {
  const table = program.command("table").description("execution table schemas");
  table
    .command("digest")
    .description("compute (tableDigest, entryCount) of a table and print it as JSON")
    .option(
      "--schema <name>",
      `table schema: ${EEZ_SCHEMA_NAME} or ${MERKLE_SCHEMA_NAME} (required unless --rpc)`,
    )
    .option(
      "--calldata <0xhex|@file>",
      `${EEZ_SCHEMA_NAME}: postAndVerifyBatch calldata; repeat for several batches in execution order`,
      collect,
      [],
    )
    .option("--blob-hashes <h1,h2,...>", `${EEZ_SCHEMA_NAME}: the transaction's blob versioned hashes`)
    .option("--entries <0xhex,...|@file>", `${MERKLE_SCHEMA_NAME}: entries (comma list, JSON array or lines)`)
    .option("--rpc <url>", `${EEZ_SCHEMA_NAME}: read the table of --slot from this L1 JSON-RPC`)
    .option("--contract <address>", "with --rpc: the EEZ table contract")
    .option("--slot <n>", "with --rpc: the slot (= block number)", parseBigIntArg("--slot"))
    .option(
      "--l1-chain-id <n>",
      "with --rpc: L1 chain id for the stream id (default: asked from --rpc)",
      parseIntArg("--l1-chain-id"),
    )
    .action(async (opts: DigestOpts) => {
      if (opts.rpc !== undefined) return digestFromChain(opts);
      if (opts.schema === undefined)
        badInput("--schema <name> is required (or --rpc with --contract and --slot)");
      if (opts.schema === EEZ_SCHEMA_NAME) {
        if (opts.calldata.length === 0) badInput("--calldata is required for ocp.eez.v1");
        if (opts.entries !== undefined) badInput("--entries applies to ocp.merkle.v1 only");
        const calls = await readEezCalls(opts.calldata, opts.blobHashes);
        let result: ReturnType<typeof eezTableDigest>;
        try {
          result = eezTableDigest(calls);
        } catch (e) {
          return badInput(`--calldata: ${reason(e)}`);
        }
        console.log(
          JSON.stringify({
            tableDigest: toHex(result.tableDigest),
            entryCount: result.entryCount,
            batches: result.batches.map((b) => ({
              shared: toHex(b.shared),
              entryHashes: b.entryHashes.map(toHex),
            })),
          }),
        );
        return;
      }
      if (opts.schema === MERKLE_SCHEMA_NAME) {
        if (opts.entries === undefined) badInput("--entries is required for ocp.merkle.v1");
        if (opts.calldata.length > 0 || opts.blobHashes !== undefined) {
          badInput("--calldata and --blob-hashes apply to ocp.eez.v1 only");
        }
        const result = merkleTableDigest(await readEntries(opts.entries));
        console.log(
          JSON.stringify({ tableDigest: toHex(result.tableDigest), entryCount: result.entryCount }),
        );
        return;
      }
      badInput(
        `unknown schema ${JSON.stringify(opts.schema)} (known: ${EEZ_SCHEMA_NAME}, ${MERKLE_SCHEMA_NAME})`,
      );
    });
}
