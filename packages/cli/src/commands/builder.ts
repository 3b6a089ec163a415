// `ocp builder publish`: computes a slot's observation (from batch calldata and
// the block's hash, or read from the chain), signs the commitment with the
// builder's V3 keystore and submits it to a node's HTTP API.
import {
  addressFromPrivateKey,
  commitmentRoot,
  eezTableDigest,
  fromHex,
  type Observation,
  observationRoot,
  observationToJson,
  SCHEMA_EEZ_V1,
  type SignedCommitment,
  signCommitment,
  signedCommitmentToJson,
  streamId,
  toHex,
} from "@ocp/protocol";
import type { Command } from "commander";
import {
  accountKey,
  chainIdOf,
  checkAddress,
  checkUrl,
  publicClientFor,
  shortRpcError,
} from "../util/chain.js";
import {
  badInput,
  collect,
  EXIT_FAILED,
  exit,
  failed,
  parseBigIntArg,
  parseIntArg,
  reason,
} from "../util/exit.js";
import { readEezCalls, readTextFile, secretFromText } from "../util/io.js";
import { observeFromChain } from "../util/observe.js";

interface PublishOpts {
  slot: bigint;
  calldata: string[];
  blobHashes?: string;
  fromChain?: boolean;
  rpc: string;
  contract: string;
  l1ChainId?: number;
  anchor: string;
  chainId: number;
  nodeApi?: string;
  tokenFile?: string;
  keystore?: string;
  passwordFile?: string;
  privateKeyFile?: string;
  dryRun?: boolean;
  json?: boolean;
}

async function observationFromCalldata(opts: PublishOpts, table: `0x${string}`): Promise<Observation> {
  const calls = await readEezCalls(opts.calldata, opts.blobHashes);
  let digest: ReturnType<typeof eezTableDigest>;
  try {
    digest = eezTableDigest(calls);
  } catch (e) {
    return badInput(`--calldata: ${reason(e)}`);
  }
  const client = publicClientFor(opts.rpc);
  const l1ChainId = opts.l1ChainId ?? (await chainIdOf(client, opts.rpc));
  let hash: `0x${string}` | null;
  try {
    hash = (await client.getBlock({ blockNumber: opts.slot })).hash;
  } catch (e) {
    return failed(
      `--slot ${opts.slot}: cannot read block ${opts.slot} from ${opts.rpc}: ${shortRpcError(e)}`,
    );
  }
  if (hash === null) return failed(`--slot ${opts.slot}: block ${opts.slot} is pending`);
  return {
    stream: streamId(l1ChainId, fromHex(table, 20)),
    slot: opts.slot,
    l1BlockNumber: opts.slot,
    l1BlockHash: fromHex(hash, 32),
    schema: SCHEMA_EEZ_V1,
    tableDigest: digest.tableDigest,
    entryCount: digest.entryCount,
  };
}

async function post(
  url: string,
  token: string,
  signed: SignedCommitment,
): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/$/, "")}/v1/commitments`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(signedCommitmentToJson(signed)),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    return failed(`--node-api ${url}: ${reason(e)}`);
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a non-JSON body is reported as text
  }
  return { status: res.status, body };
}

async function publish(opts: PublishOpts): Promise<void> {
  const table = checkAddress(opts.contract, "--contract");
  const anchor = checkAddress(opts.anchor, "--anchor");
  checkUrl(opts.rpc, "--rpc");
  if (opts.fromChain === true && opts.calldata.length > 0)
    badInput("give either --calldata or --from-chain, not both");
  if (opts.fromChain !== true && opts.calldata.length === 0)
    badInput("give --calldata <0xhex|@file> (repeatable) or --from-chain");
  if (!opts.dryRun) {
    if (opts.nodeApi === undefined) badInput("--node-api is required (or --dry-run)");
    checkUrl(opts.nodeApi, "--node-api");
    if (opts.tokenFile === undefined) badInput("--token-file is required (or --dry-run)");
  }
  const token =
    opts.tokenFile === undefined ? "" : secretFromText(await readTextFile(opts.tokenFile, "--token-file"));
  const key = await accountKey(opts);

  const observation = opts.fromChain
    ? (await observeFromChain(opts.rpc, table, opts.slot, opts.l1ChainId)).result.observation
    : await observationFromCalldata(opts, table);
  const domain = { chainId: opts.chainId, verifyingContract: fromHex(anchor, 20) };
  const builder = addressFromPrivateKey(key);
  const signed = signCommitment(domain, { observation, builder }, key);
  key.fill(0);
  const summary = {
    builder: toHex(builder),
    observationRoot: toHex(observationRoot(domain, observation)),
    commitmentRoot: toHex(commitmentRoot(domain, signed.commitment)),
    observation: observationToJson(observation),
  };
  if (opts.dryRun) {
    console.log(JSON.stringify(signedCommitmentToJson(signed)));
    return;
  }
  const { status, body } = await post(opts.nodeApi!, token, signed);
  if (status === 202 || status === 200) {
    if (opts.json) console.log(JSON.stringify({ status: "accepted", ...summary }));
    else {
      console.log(`accepted: slot ${opts.slot}, ${observation.entryCount} entries`);
      console.log(`builder: ${summary.builder}`);
      console.log(`observationRoot: ${summary.observationRoot}`);
      console.log(`commitmentRoot: ${summary.commitmentRoot}`);
    }
    return;
  }
  const detail = typeof body === "object" && body !== null ? JSON.stringify(body) : String(body);
  if (opts.json)
    console.log(JSON.stringify({ status: "rejected", httpStatus: status, response: body, ...summary }));
  console.error(`error: ${opts.nodeApi} refused the commitment (HTTP ${status}): ${detail}`);
  exit(EXIT_FAILED, "ocp.rejected", `HTTP ${status}`);
}

export function registerBuilder(program: Command): void {
  const builder = program.command("builder").description("builder commitments");
  builder
    .command("publish")
    .description("sign a slot's commitment and submit it to a node (POST /v1/commitments)")
    .requiredOption(
      "--slot <n>",
      "the L1 slot (= block number on block-number chains)",
      parseBigIntArg("--slot"),
    )
    .option("--calldata <0xhex|@file>", "postAndVerifyBatch calldata; repeat in execution order", collect, [])
    .option("--blob-hashes <h1,h2,...>", "with --calldata: the transaction's blob versioned hashes")
    .option("--from-chain", "read the slot's table from the chain (internal calls included)")
    .requiredOption("--rpc <url>", "L1 JSON-RPC URL")
    .requiredOption("--contract <address>", "the EEZ table contract")
    .option("--l1-chain-id <n>", "L1 chain id (default: asked from --rpc)", parseIntArg("--l1-chain-id"))
    .requiredOption("--anchor <address>", "OcpAnchor address (EIP-712 verifyingContract)")
    .requiredOption("--chain-id <n>", "anchor chain id (EIP-712 chainId)", parseIntArg("--chain-id"))
    .option("--node-api <url>", "the node's HTTP API, e.g. http://127.0.0.1:8080")
    .option("--token-file <file>", "file holding the API bearer token")
    .option("--keystore <file>", "builder V3 keystore")
    .option("--password-file <file>", "its password (prompted without echo when omitted on a terminal)")
    .option("--private-key-file <file>", "instead of a keystore: a file holding the 0x private key")
    .option("--dry-run", "print the SignedCommitment JSON instead of submitting it")
    .option("--json", "print the result as one JSON line")
    .action(publish);
}
