// The chain-facing CLI commands on anvil, in-process through run():
// table digest --rpc (internal calls included), builder publish (dry run and
// to a live node's API), anchor deploy/register-set/status, cert show/verify
// --anchor, and readVerifierSets against the registered set.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionTable, OcpAnchor, Orchestrator } from "@ocp/contracts";
import { OcpNode } from "@ocp/node";
import { readVerifierSets } from "@ocp/node/anchor";
import {
  type Attestation,
  blstBls,
  buildCertificate,
  buildVerifierSet,
  certificateToJson,
  concatBytes,
  encodePostAndVerifyBatch,
  fromHex,
  g2ToEip2537,
  type Observation,
  observationRoot,
  type ProofSystemBatchPerVerificationEntries,
  parseCertificateJson,
  parseObservationJson,
  parseSignedCommitmentJson,
  toHex,
  type VerifierSetData,
  verifierSetToJson,
  verifySignedCommitment,
} from "@ocp/protocol";
import {
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  publicActions,
  toFunctionSelector,
} from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadNodeConfig } from "../../packages/cli/src/config.js";
import { createV3Keystore } from "../../packages/cli/src/keystoreV3.js";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, run } from "../../packages/cli/src/program.js";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { ANVIL_PRIVATE_KEYS, useAnvil } from "../utils/anvil.js";

const anvil = useAnvil();
const dir = mkdtempSync(join(tmpdir(), "ocp-cli-chain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
});
afterEach(() => vi.restoreAllMocks());

function word(n: number): Uint8Array {
  const w = new Uint8Array(32);
  new DataView(w.buffer).setUint32(28, n);
  return w;
}

/** Orchestrator.postTwo(b1, b2): two internal postAndVerifyBatch calls. */
function postTwo(a: ProofSystemBatchPerVerificationEntries, b: ProofSystemBatchPerVerificationEntries): Hex {
  const abiItem = Orchestrator.abi.find((x) => x.type === "function" && x.name === "postTwo");
  const bodies = [a, b].map((x) => encodePostAndVerifyBatch(x).subarray(4 + 32));
  return toHex(
    concatBytes(
      fromHex(toFunctionSelector(abiItem as never)),
      word(64),
      word(64 + bodies[0]!.length),
      ...bodies,
    ),
  );
}

const rpc = (): string => anvil.current.rpcUrl;
const wallet = () =>
  createWalletClient({
    account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
    chain: foundry,
    transport: http(rpc()),
  }).extend(publicActions);

const file = (name: string, content: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
};

describe("ocp CLI against anvil", () => {
  let table: Hex;
  let slot: bigint;
  let batches: ProofSystemBatchPerVerificationEntries[];
  let anchor: Hex;
  const builderKey = new Uint8Array(32).fill(0x21);
  const blsKeys = [1, 2, 3, 4].map((i) => blstBls.keygen(new Uint8Array(32).fill(0x70 + i)));
  let setData: VerifierSetData;

  beforeAll(async () => {
    const c = wallet();
    const h1 = await c.deployContract({ abi: ExecutionTable.abi, bytecode: ExecutionTable.bytecode });
    table = (await c.waitForTransactionReceipt({ hash: h1 })).contractAddress as Hex;
    const h2 = await c.deployContract({
      abi: Orchestrator.abi,
      bytecode: Orchestrator.bytecode,
      args: [table],
    });
    const orchestrator = (await c.waitForTransactionReceipt({ hash: h2 })).contractAddress as Hex;
    const rng = makeRng(11);
    batches = Array.from({ length: 3 }, () => randomBatch(rng, { maxEntries: 3, maxLookups: 2 }));
    const t1 = await c.sendTransaction({
      to: table,
      data: toHex(encodePostAndVerifyBatch(batches[0]!)),
      gas: 10_000_000n,
    });
    const r1 = await c.waitForTransactionReceipt({ hash: t1 });
    const t2 = await c.sendTransaction({
      to: orchestrator,
      data: postTwo(batches[1]!, batches[2]!),
      gas: 10_000_000n,
    });
    const r2 = await c.waitForTransactionReceipt({ hash: t2 });
    expect(r1.status).toBe("success");
    expect(r2.status).toBe("success");
    slot = r2.blockNumber;
    // the first batch went into an earlier block with automine: the slot's table is the orchestrator's two
    file("builder.json", await createV3Keystore(builderKey, "bpw", { kdf: "scrypt", scryptN: 1024 }));
    file("builder-pw.txt", "bpw\n");
    file("deployer.key", `${ANVIL_PRIVATE_KEYS[0]}\n`);
    file("token.txt", "api-token\n");
    file("bad-token.txt", "nope\n");
    setData = {
      epoch: 0n,
      activationSlot: 0n,
      quorum: { numerator: 2, denominator: 3 },
      verifiers: blsKeys.map((sk, i) => ({
        pubkey: blstBls.publicKeyToBytes(blstBls.publicKey(sk)),
        weight: BigInt(i + 1),
        pop: blstBls.popProve(sk),
      })),
    };
    file("set.json", verifierSetToJson(setData));
  });

  it("table digest --rpc equals the digest of the calldata (internal calls included)", async () => {
    expect(
      await run(["table", "digest", "--rpc", rpc(), "--contract", table, "--slot", slot.toString()]),
    ).toBe(EXIT_OK);
    const fromChain = JSON.parse(out[0]!) as {
      tableDigest: string;
      entryCount: number;
      calls: number;
      observation: unknown;
    };
    out.length = 0;
    const calldata = batches.slice(1).flatMap((b) => ["--calldata", toHex(encodePostAndVerifyBatch(b))]);
    expect(await run(["table", "digest", "--schema", "ocp.eez.v1", ...calldata])).toBe(EXIT_OK);
    const fromCalldata = JSON.parse(out[0]!) as { tableDigest: string; entryCount: number };
    expect(fromChain.calls).toBe(2);
    expect(fromChain.tableDigest).toBe(fromCalldata.tableDigest);
    expect(fromChain.entryCount).toBe(fromCalldata.entryCount);
    const obs = parseObservationJson(fromChain.observation);
    const block = await wallet().getBlock({ blockNumber: slot });
    expect(toHex(obs.l1BlockHash)).toBe(block.hash);

    // a block without a table call: exit 1 and say so
    expect(await run(["table", "digest", "--rpc", rpc(), "--contract", table, "--slot", "1"])).toBe(
      EXIT_FAILED,
    );
    expect(err.at(-1)).toMatch(/has no postAndVerifyBatch call/);
    expect(await run(["table", "digest", "--rpc", rpc(), "--slot", "1"])).toBe(EXIT_BAD_INPUT);
    expect(err.at(-1)).toContain("--contract <address> is required");
  });

  it("anchor deploy, register-set, status; readVerifierSets rebuilds the set", async () => {
    const key = ["--private-key-file", join(dir, "deployer.key")];
    expect(await run(["anchor", "deploy", "--rpc", rpc(), "--l1-chain-id", "31337", "--json", ...key])).toBe(
      EXIT_OK,
    );
    const deployed = JSON.parse(out[0]!) as { address: Hex; owner: string };
    anchor = deployed.address;
    expect(deployed.owner).toBe(privateKeyToAddress(ANVIL_PRIVATE_KEYS[0]));

    out.length = 0;
    const setFile = join(dir, "set.json");
    expect(
      await run(["anchor", "register-set", "--rpc", rpc(), "--anchor", anchor, "--set", setFile, ...key]),
    ).toBe(EXIT_OK);
    const expectedId = buildVerifierSet(setData).setIdHex;
    expect(out[0]).toBe(expectedId);
    const onChain = (await createPublicClient({ transport: http(rpc()) }).readContract({
      address: anchor,
      abi: OcpAnchor.abi,
      functionName: "setIdOf",
      args: [0n],
    })) as Hex;
    expect(onChain).toBe(expectedId);

    const sets = await readVerifierSets(createPublicClient({ transport: http(rpc()) }), anchor);
    expect(sets.map(verifierSetToJson)).toEqual([verifierSetToJson(setData)]);

    out.length = 0;
    expect(await run(["anchor", "status", "--rpc", rpc(), "--anchor", anchor, "--json"])).toBe(EXIT_OK);
    const status = JSON.parse(out[0]!) as {
      latestEpoch: string;
      sets: { setId: string; totalWeight: string }[];
    };
    expect(status.latestEpoch).toBe("0");
    expect(status.sets.map((s) => s.setId)).toEqual([expectedId]);
    expect(status.sets[0]!.totalWeight).toBe("10");

    // failures: no contract there (2), bad set file (2), a second set for the same epoch reverts (1)
    expect(await run(["anchor", "status", "--rpc", rpc(), "--anchor", `0x${"00".repeat(19)}01`])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.at(-1)).toMatch(/no contract at/);
    expect(
      await run([
        "anchor",
        "register-set",
        "--rpc",
        rpc(),
        "--anchor",
        anchor,
        "--set",
        file("bad-set.json", "{}"),
        ...key,
      ]),
    ).toBe(EXIT_BAD_INPUT);
    expect(err.at(-1)).toMatch(/--set: .*bad-set\.json/);
    expect(
      await run(["anchor", "register-set", "--rpc", rpc(), "--anchor", anchor, "--set", setFile, ...key]),
    ).toBe(EXIT_FAILED);
  });

  it("builder publish --dry-run: same signed commitment from calldata and from the chain", async () => {
    const common = [
      "builder",
      "publish",
      "--slot",
      slot.toString(),
      "--rpc",
      rpc(),
      "--contract",
      table,
      "--anchor",
      anchor,
      "--chain-id",
      "31337",
      "--keystore",
      join(dir, "builder.json"),
      "--password-file",
      join(dir, "builder-pw.txt"),
      "--dry-run",
    ];
    expect(await run([...common, "--from-chain"])).toBe(EXIT_OK);
    const a = out[0]!;
    out.length = 0;
    const calldata = batches.slice(1).flatMap((b) => ["--calldata", toHex(encodePostAndVerifyBatch(b))]);
    expect(await run([...common, ...calldata])).toBe(EXIT_OK);
    expect(out[0]).toBe(a);
    const signed = parseSignedCommitmentJson(JSON.parse(a));
    const recovered = verifySignedCommitment(signed);
    expect(recovered.ok).toBe(true);
    if (recovered.ok)
      expect(toHex(recovered.value)).toBe(privateKeyToAddress(toHex(builderKey)).toLowerCase());

    expect(await run([...common.slice(0, -1), "--from-chain", "--node-api", "http://127.0.0.1:1"])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.at(-1)).toContain("--token-file is required");
    writeFileSync(join(dir, "builder-badpw.txt"), "nope\n");
    const badPw = common.map((x) => (x === join(dir, "builder-pw.txt") ? join(dir, "builder-badpw.txt") : x));
    expect(await run([...badPw, "--from-chain"])).toBe(EXIT_BAD_INPUT);
    expect(err.at(-1)).toMatch(/V3_KEYSTORE_ERROR_WRONG_PASSWORD/);
  });

  it("cert show / verify --anchor read the sets from the contract", async () => {
    const obsOut: string[] = [];
    expect(
      await run(["table", "digest", "--rpc", rpc(), "--contract", table, "--slot", slot.toString()]),
    ).toBe(EXIT_OK);
    obsOut.push(out[0]!);
    const observation: Observation = parseObservationJson(
      (JSON.parse(obsOut[0]!) as { observation: unknown }).observation,
    );
    const domain = { chainId: 31337, verifyingContract: fromHex(anchor, 20) };
    const set = buildVerifierSet(setData);
    const cert = (signers: number[]) => {
      const root = observationRoot(domain, observation);
      const atts: Attestation[] = signers.map((i) => ({
        domain,
        observation,
        setId: set.setId,
        verifierIndex: i,
        signature: blstBls.sign(blsKeys[i]!, root),
      }));
      return buildCertificate(atts, set);
    };
    const good = cert([1, 2, 3]); // weight 9 of 10
    const weak = cert([0, 1, 2]); // weight 6 of 10: 6*3 > 10*2 fails
    const goodFile = file("good-cert.json", certificateToJson(good));
    out.length = 0;
    expect(await run(["cert", "verify", "--cert", goodFile, "--anchor", anchor, "--rpc", rpc()])).toBe(
      EXIT_OK,
    );
    expect(out).toEqual(["valid"]);
    out.length = 0;
    expect(
      await run([
        "cert",
        "verify",
        "--cert",
        file("weak.json", certificateToJson(weak)),
        "--anchor",
        anchor,
        "--rpc",
        rpc(),
      ]),
    ).toBe(EXIT_FAILED);
    expect(out).toEqual(["CERT_ERROR_BELOW_QUORUM"]);

    out.length = 0;
    expect(
      await run(["cert", "show", "--cert", goodFile, "--anchor", anchor, "--rpc", rpc(), "--json"]),
    ).toBe(EXIT_OK);
    const shown = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(shown.signers).toBe(3);
    expect(shown.signerIndices).toEqual([1, 2, 3]);
    expect(shown.signedWeight).toBe("9");
    expect(shown.totalWeight).toBe("10");
    expect(shown.observationRoot).toBe(toHex(observationRoot(domain, observation)));
    expect(await run(["cert", "show", "--cert", join(dir, "missing.json")])).toBe(EXIT_BAD_INPUT);

    // anchor it on-chain, then status reports the slot as anchored and final
    const hash = await wallet().writeContract({
      address: anchor,
      abi: OcpAnchor.abi,
      functionName: "anchor",
      args: [
        {
          stream: toHex(observation.stream),
          slot: observation.slot,
          l1BlockNumber: observation.l1BlockNumber,
          l1BlockHash: toHex(observation.l1BlockHash),
          schema: toHex(observation.schema),
          tableDigest: toHex(observation.tableDigest),
          entryCount: observation.entryCount,
        },
        0n,
        toHex(good.signers),
        toHex(g2ToEip2537(good.aggregateSignature)),
      ],
      gas: 5_000_000n,
    } as never);
    expect((await wallet().waitForTransactionReceipt({ hash })).status).toBe("success");
    out.length = 0;
    const streamHex = toHex(observation.stream);
    expect(
      await run([
        "anchor",
        "status",
        "--rpc",
        rpc(),
        "--anchor",
        anchor,
        "--stream",
        streamHex,
        "--slot",
        slot.toString(),
        "--json",
      ]),
    ).toBe(EXIT_OK);
    const st = JSON.parse(out[0]!) as { slot: Record<string, unknown> };
    expect(st.slot.anchored).toBe(true);
    expect(st.slot.final).toBe(true);
    expect(st.slot.conflicted).toBe(false);
    expect(st.slot.observationRoot).toBe(toHex(observationRoot(domain, observation)));
    out.length = 0;
    expect(
      await run([
        "anchor",
        "status",
        "--rpc",
        rpc(),
        "--anchor",
        anchor,
        "--stream",
        streamHex,
        "--slot",
        (slot + 1000n).toString(),
        "--json",
      ]),
    ).toBe(EXIT_OK);
    expect((JSON.parse(out[0]!) as { slot: Record<string, unknown> }).slot.anchored).toBe(false);
  });

  it("anchor submit --cert: an anchored root is skipped, another observation is recorded as a conflict", async () => {
    const key = ["--private-key-file", join(dir, "deployer.key")];
    const submit = (...args: string[]) =>
      run(["anchor", "submit", "--rpc", rpc(), "--anchor", anchor, ...args]);
    // The previous test anchored this certificate: nothing is sent.
    out.length = 0;
    expect(await submit("--cert", join(dir, "good-cert.json"), "--json", ...key)).toBe(EXIT_OK);
    expect(JSON.parse(out[0]!)).toEqual({ outcome: "skipped", txHash: null });
    // A quorum for a different table of the same slot goes in and is recorded as a conflict.
    const good = parseCertificateJson(JSON.parse(readFileSync(join(dir, "good-cert.json"), "utf8")));
    const other = { ...good.observation, tableDigest: new Uint8Array(32).fill(0x5a) };
    const set = buildVerifierSet(setData);
    const root = observationRoot(good.domain, other);
    const certFor = (signers: number[]) =>
      buildCertificate(
        signers.map((i) => ({
          domain: good.domain,
          observation: other,
          setId: set.setId,
          verifierIndex: i,
          signature: blstBls.sign(blsKeys[i]!, root),
        })),
        set,
      );
    const conflicting = certFor([1, 2, 3]);
    // Below quorum (weight 6 of 10): the contract refuses it in simulation, no transaction.
    expect(
      await submit("--cert", file("weak-conflict.json", certificateToJson(certFor([0, 1, 2]))), ...key),
    ).toBe(EXIT_FAILED);
    expect(err.at(-1)).toMatch(/rejected: BelowQuorum/);
    out.length = 0;
    expect(
      await submit("--cert", file("conflict.json", certificateToJson(conflicting)), "--json", ...key),
    ).toBe(EXIT_OK);
    const sent = JSON.parse(out[0]!) as { outcome: string; txHash: string | null };
    expect(sent.outcome).toBe("conflicted");
    expect(sent.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const conflicted = await createPublicClient({ transport: http(rpc()) }).readContract({
      address: anchor,
      abi: OcpAnchor.abi,
      functionName: "conflicted",
      args: [toHex(other.stream), other.slot],
    });
    expect(conflicted).toBe(true);
    expect(await submit(...key)).toBe(EXIT_BAD_INPUT);
    expect(await submit("--stream", `0x${"11".repeat(32)}`, "--slot", "1", ...key)).toBe(EXIT_BAD_INPUT);
    expect(err.at(-1)).toMatch(/--api/);
  });

  it("builder publish submits to a node's API; a wrong token is refused with exit 1", async () => {
    const nodeDir = join(dir, "node");
    mkdirSync(nodeDir, { recursive: true });
    const cfg = file("node/node.json", {
      dataDir: "data",
      network: { network: "cli-chain", localNetwork: true },
      domain: { chainId: 31337, verifyingContract: anchor },
      streams: [{ name: "eez", l1ChainId: 31337, tableContract: table }],
      l1: { rpcUrls: [rpc()], confirmations: 1, pollIntervalMs: 200 },
      verifierSets: ["../set.json"],
      api: { port: 0, bearerTokenFile: "../token.txt" },
      proposal: { selfProposeDelayMs: 60_000 },
    });
    const loaded = await loadNodeConfig(cfg);
    const { pino } = await import("pino");
    const node = new OcpNode(loaded.options, { ...loaded.modules, logger: pino({ level: "silent" }) });
    await node.start();
    try {
      const seen = new Promise<unknown>((resolve) => node.events.once("commitment", resolve));
      const common = [
        "builder",
        "publish",
        "--slot",
        slot.toString(),
        "--from-chain",
        "--rpc",
        rpc(),
        "--contract",
        table,
        "--anchor",
        anchor,
        "--chain-id",
        "31337",
        "--node-api",
        node.api!.url!,
        "--keystore",
        join(dir, "builder.json"),
        "--password-file",
        join(dir, "builder-pw.txt"),
        "--json",
      ];
      out.length = 0;
      expect(await run([...common, "--token-file", join(dir, "bad-token.txt")])).toBe(EXIT_FAILED);
      expect(err.at(-1)).toMatch(/refused the commitment \(HTTP 401\)/);
      out.length = 0;
      const code = await run([...common, "--token-file", join(dir, "token.txt")]);
      expect(code).toBe(EXIT_OK);
      expect((JSON.parse(out.at(-1)!) as { status: string }).status).toBe("accepted");
      await seen;
      const stored = await node.db.commitments.bySlot(
        fromHex((JSON.parse(out.at(-1)!) as { observation: { stream: string } }).observation.stream),
        slot,
      );
      expect(stored).toHaveLength(1);
    } finally {
      await node.stop();
    }
  });
});
