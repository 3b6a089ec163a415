// `ocp anchor`: deploy OcpAnchor, register verifier keys and sets from their
// JSON forms, and read the contract's state (sets, and a slot's outcome).
import { OcpAnchor } from "@ocp/contracts";
import {
  AnchorRejectedError,
  AnchorService,
  deployAnchor,
  readVerifierSets,
  registerKeys,
  registerSet,
} from "@ocp/node/anchor";
import {
  buildVerifierSet,
  type Certificate,
  fromHex,
  parseCertificateJson,
  parseVerifierSetJson,
  toHex,
  type VerifierSetData,
  VerifierSetRegistry,
  verifierSetToJson,
} from "@ocp/protocol";
import type { Command } from "commander";
import type { Hex, PublicClient } from "viem";
import {
  type AccountOpts,
  accountKey,
  chainIdOf,
  checkAddress,
  checkUrl,
  publicClientFor,
  shortRpcError,
  walletFor,
} from "../util/chain.js";
import { badInput, failed, parseBigIntArg, parseIntArg, reason } from "../util/exit.js";
import { readJsonFile, readTextFile } from "../util/io.js";

function accountOptions(cmd: Command): Command {
  return cmd
    .option("--keystore <file>", "V3 keystore of the funded sender account")
    .option("--password-file <file>", "its password (prompted without echo when omitted on a terminal)")
    .option("--private-key-file <file>", "instead of a keystore: a file holding the 0x private key");
}

/** A verifier set JSON file, parsed and fully checked (PoPs, quorum, duplicates). */
async function readSetFile(file: string): Promise<VerifierSetData> {
  const json = await readJsonFile(file, "--set");
  try {
    const data = parseVerifierSetJson(json);
    buildVerifierSet(data);
    return data;
  } catch (e) {
    return badInput(`--set: ${file}: ${reason(e)}`);
  }
}

/**
 * Keys with PoPs from a file: a VerifierSet JSON, a JSON array of
 * `{pubkey, pop}`, or JSON lines as printed by `ocp keys pop`.
 */
async function readKeysFile(file: string): Promise<{ pubkey: Uint8Array; pop: Uint8Array }[]> {
  const text = (await readTextFile(file, "--keys")).trim();
  let items: unknown[];
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON lines, one {pubkey, pop} each
      parsed = text
        .split(/\r?\n/)
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as unknown);
    }
    if (typeof parsed === "object" && parsed !== null && "verifiers" in parsed) {
      return parseVerifierSetJson(parsed).verifiers;
    }
    items = Array.isArray(parsed) ? parsed : [parsed];
  } catch (e) {
    return badInput(`--keys: ${file}: ${reason(e)}`);
  }
  return items.map((item, i) => {
    const o = (typeof item === "object" && item !== null ? item : {}) as { pubkey?: unknown; pop?: unknown };
    try {
      return { pubkey: fromHex(o.pubkey, 48), pop: fromHex(o.pop, 96) };
    } catch (e) {
      return badInput(`--keys: ${file}: entry ${i}: ${reason(e)}`);
    }
  });
}

const view = (
  client: PublicClient,
  anchor: Hex,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<unknown> =>
  client.readContract({ address: anchor, abi: OcpAnchor.abi, functionName, args } as never);

async function ensureContract(client: PublicClient, anchor: Hex, rpc: string): Promise<void> {
  let code: Hex | undefined;
  try {
    code = await client.getCode({ address: anchor });
  } catch (e) {
    failed(`--rpc ${rpc}: ${shortRpcError(e)}`);
  }
  if (code === undefined || code === "0x") badInput(`--anchor: no contract at ${anchor} on ${rpc}`);
}

export function registerAnchor(program: Command): void {
  const anchor = program.command("anchor").description("deploy and administer the OcpAnchor contract");

  accountOptions(
    anchor
      .command("deploy")
      .description("deploy OcpAnchor; prints its address")
      .requiredOption("--rpc <url>", "anchor chain JSON-RPC URL")
      .requiredOption(
        "--l1-chain-id <n>",
        "chain id of the L1 whose slots are anchored",
        parseIntArg("--l1-chain-id"),
      )
      .option("--owner <address>", "owner of the key registry and sets (default: the sender)")
      .option("--json", 'print {"address","owner","chainId"}'),
  ).action(async (opts: AccountOpts & { rpc: string; l1ChainId: number; owner?: string; json?: boolean }) => {
    const owner = opts.owner === undefined ? undefined : checkAddress(opts.owner, "--owner");
    const { wallet, client, address } = await walletFor(opts.rpc, opts);
    let deployed: Hex;
    try {
      deployed = await deployAnchor(wallet, client, {
        l1ChainId: opts.l1ChainId,
        ...(owner ? { owner } : {}),
      });
    } catch (e) {
      return failed(`deploy: ${shortRpcError(e)}`);
    }
    if (opts.json) {
      console.log(JSON.stringify({ address: deployed, owner: owner ?? address, chainId: wallet.chain.id }));
    } else {
      console.log(deployed);
    }
  });

  accountOptions(
    anchor
      .command("register-keys")
      .description("register verifier keys with their proofs of possession (skips registered keys)")
      .requiredOption("--rpc <url>", "anchor chain JSON-RPC URL")
      .requiredOption("--anchor <address>", "OcpAnchor address")
      .requiredOption(
        "--keys <file>",
        "VerifierSet JSON, JSON array of {pubkey,pop}, or `ocp keys pop` lines",
      ),
  ).action(async (opts: AccountOpts & { rpc: string; anchor: string; keys: string }) => {
    const address = checkAddress(opts.anchor, "--anchor");
    const keys = await readKeysFile(opts.keys);
    if (keys.length === 0) badInput(`--keys: ${opts.keys} holds no keys`);
    const { wallet, client } = await walletFor(opts.rpc, opts);
    await ensureContract(client, address, opts.rpc);
    let gas: bigint[];
    try {
      gas = await registerKeys(wallet, client, address, keys);
    } catch (e) {
      return failed(`register-keys: ${shortRpcError(e)}`);
    }
    console.log(
      `registered ${keys.length} keys in ${gas.length} transactions (gas ${gas.join(", ") || "0"})`,
    );
  });

  accountOptions(
    anchor
      .command("register-set")
      .description("register a verifier set (its keys first, when not yet registered); prints the set id")
      .requiredOption("--rpc <url>", "anchor chain JSON-RPC URL")
      .requiredOption("--anchor <address>", "OcpAnchor address")
      .requiredOption("--set <file>", "VerifierSet JSON")
      .option("--no-register-keys", "fail instead of registering missing keys"),
  ).action(
    async (opts: AccountOpts & { rpc: string; anchor: string; set: string; registerKeys: boolean }) => {
      const address = checkAddress(opts.anchor, "--anchor");
      const data = await readSetFile(opts.set);
      const expected = buildVerifierSet(data).setIdHex;
      const { wallet, client } = await walletFor(opts.rpc, opts);
      await ensureContract(client, address, opts.rpc);
      let setId: Hex;
      try {
        if (opts.registerKeys) await registerKeys(wallet, client, address, data.verifiers);
        setId = await registerSet(wallet, client, address, data);
      } catch (e) {
        return failed(`register-set: ${shortRpcError(e)}`);
      }
      if (setId.toLowerCase() !== expected.toLowerCase()) {
        return failed(`register-set: the contract's set id ${setId} differs from the file's ${expected}`);
      }
      console.log(setId);
    },
  );

  anchor
    .command("status")
    .description("latest epoch and sets; with --stream and --slot: anchored root, final, conflicted")
    .requiredOption("--rpc <url>", "anchor chain JSON-RPC URL")
    .requiredOption("--anchor <address>", "OcpAnchor address")
    .option("--stream <0xhex>", "32-byte stream id")
    .option("--slot <n>", "slot", parseBigIntArg("--slot"))
    .option("--sets", "also print each set in its VerifierSet JSON form (with --json)")
    .option("--json", "print one JSON object")
    .action(
      async (opts: {
        rpc: string;
        anchor: string;
        stream?: string;
        slot?: bigint;
        sets?: boolean;
        json?: boolean;
      }) => {
        const address = checkAddress(opts.anchor, "--anchor");
        if ((opts.stream === undefined) !== (opts.slot === undefined))
          badInput("--stream and --slot go together");
        let stream: Hex | undefined;
        if (opts.stream !== undefined) {
          try {
            stream = toHex(fromHex(opts.stream, 32));
          } catch (e) {
            return badInput(`--stream: ${reason(e)}`);
          }
        }
        const client = publicClientFor(opts.rpc);
        await ensureContract(client, address, opts.rpc);
        try {
          const [exists, latest] = (await view(client, address, "latestEpoch")) as readonly [boolean, bigint];
          const sets = await readVerifierSets(client, address);
          const setRows = sets.map((s) => {
            const built = buildVerifierSet(s);
            return {
              epoch: s.epoch.toString(),
              setId: built.setIdHex,
              activationSlot: s.activationSlot.toString(),
              size: s.verifiers.length,
              totalWeight: built.totalWeight.toString(),
              quorum: s.quorum,
              ...(opts.sets ? { set: verifierSetToJson(s) } : {}),
            };
          });
          let slot: Record<string, unknown> | undefined;
          if (stream !== undefined && opts.slot !== undefined) {
            const root = (await view(client, address, "anchored", [stream, opts.slot])) as Hex;
            const conflicted = (await view(client, address, "conflicted", [stream, opts.slot])) as boolean;
            const isAnchored = !/^0x0+$/.test(root);
            let tableDigest: Hex | undefined;
            let final = false;
            if (isAnchored) {
              const logs = (await client.getContractEvents({
                address,
                abi: OcpAnchor.abi,
                eventName: "Anchored",
                args: { stream, slot: opts.slot },
                fromBlock: 0n,
                toBlock: "latest",
              } as never)) as unknown as { args: { tableDigest: Hex } }[];
              tableDigest = logs[0]?.args.tableDigest;
              if (tableDigest) {
                final = (await view(client, address, "isFinal", [stream, opts.slot, tableDigest])) as boolean;
              }
            }
            slot = {
              stream,
              slot: opts.slot.toString(),
              anchored: isAnchored,
              observationRoot: isAnchored ? root : null,
              tableDigest: tableDigest ?? null,
              final,
              conflicted,
            };
          }
          if (opts.json) {
            console.log(
              JSON.stringify({
                anchor: address,
                latestEpoch: exists ? latest.toString() : null,
                sets: setRows,
                ...(slot ? { slot } : {}),
              }),
            );
            return;
          }
          console.log(`anchor: ${address}`);
          console.log(`latest epoch: ${exists ? latest : "none"}`);
          for (const r of setRows) {
            console.log(
              `set epoch ${r.epoch}: ${r.setId} from slot ${r.activationSlot}, ${r.size} verifiers, weight ${r.totalWeight}, quorum ${r.quorum.numerator}/${r.quorum.denominator}`,
            );
          }
          if (slot) {
            console.log(`slot ${slot.slot} of ${slot.stream}:`);
            console.log(`  anchored: ${slot.anchored ? slot.observationRoot : "no"}`);
            console.log(`  final: ${slot.final}`);
            console.log(`  conflicted: ${slot.conflicted}`);
          }
        } catch (e) {
          return failed(`status: ${shortRpcError(e)}`);
        }
      },
    );
  accountOptions(
    anchor
      .command("submit")
      .description(
        "anchor a certificate: from a file (--cert), or a slot's best certificate from a node (--stream --slot with --api)",
      )
      .requiredOption("--rpc <url>", "anchor chain JSON-RPC URL")
      .requiredOption("--anchor <address>", "OcpAnchor address")
      .option("--cert <file>", "Certificate JSON")
      .option("--stream <0xhex>", "32-byte stream id")
      .option("--slot <n>", "slot", parseBigIntArg("--slot"))
      .option("--api <url>", "a node's HTTP API, to fetch the slot's certificate from")
      .option("--json", 'print {"outcome","txHash"}'),
  ).action(
    async (
      opts: AccountOpts & {
        rpc: string;
        anchor: string;
        cert?: string;
        stream?: string;
        slot?: bigint;
        api?: string;
        json?: boolean;
      },
    ) => {
      const address = checkAddress(opts.anchor, "--anchor");
      const cert = await certificateToSubmit(opts);
      const key = await accountKey(opts);
      const privateKey = toHex(key);
      key.fill(0);
      const client = publicClientFor(opts.rpc);
      const chainId = await chainIdOf(client, opts.rpc);
      await ensureContract(client, address, opts.rpc);
      const sets = new VerifierSetRegistry();
      try {
        for (const s of await readVerifierSets(client, address)) sets.add(buildVerifierSet(s));
      } catch (e) {
        return failed(`reading sets: ${shortRpcError(e)}`);
      }
      if (!sets.get(cert.setId))
        return failed(`the certificate's set ${toHex(cert.setId)} is not registered`);
      let txHash: string | null = null;
      const { pino } = await import("pino");
      const service = new AnchorService(
        { rpcUrl: opts.rpc, chainId, contract: address, index: 0 },
        {
          privateKey: privateKey as `0x${string}`,
          sets,
          logger: pino({ level: "silent" }),
          onAnchored: (ev) => {
            txHash = ev.txHash;
          },
        },
      );
      let outcome: string;
      try {
        outcome = await service.submit(cert);
      } catch (e) {
        if (e instanceof AnchorRejectedError) return failed(`submit: rejected: ${e.errorName}`);
        return failed(`submit: ${shortRpcError(e)}`);
      } finally {
        await service.stop();
      }
      if (opts.json) console.log(JSON.stringify({ outcome, txHash }));
      else console.log(txHash ? `${outcome} ${txHash}` : outcome);
      if (outcome === "reverted") failed("submit: the anchoring transaction reverted");
    },
  );
}

/** The certificate of `--cert`, or the slot's best certificate served by a node (`--api`). */
async function certificateToSubmit(opts: {
  cert?: string;
  stream?: string;
  slot?: bigint;
  api?: string;
}): Promise<Certificate> {
  const bySlot = opts.stream !== undefined || opts.slot !== undefined;
  if ((opts.cert !== undefined) === bySlot) badInput("give either --cert <file> or --stream and --slot");
  let json: unknown;
  if (opts.cert !== undefined) {
    json = await readJsonFile(opts.cert, "--cert");
  } else {
    if (opts.stream === undefined || opts.slot === undefined)
      return badInput("--stream and --slot go together");
    if (opts.api === undefined)
      return badInput("--stream and --slot need --api <url> of a node holding the certificate");
    let stream: string;
    try {
      stream = toHex(fromHex(opts.stream, 32));
    } catch (e) {
      return badInput(`--stream: ${reason(e)}`);
    }
    const url = new URL(`/v1/streams/${stream}/certificates/${opts.slot}`, checkUrl(opts.api, "--api"));
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      return failed(`--api ${opts.api}: ${reason(e)}`);
    }
    if (res.status === 404) return failed(`the node holds no certificate for slot ${opts.slot}`);
    if (!res.ok) return failed(`--api ${opts.api}: HTTP ${res.status}`);
    json = await res.json();
  }
  try {
    return parseCertificateJson(json);
  } catch (e) {
    return badInput(`${opts.cert ?? "certificate"}: ${reason(e)}`);
  }
}
