// `ocp devnet up`: the devnet's run loop. A builder posts a batch each slot
// and publishes its signed commitment through a node; a tracker follows each
// slot to its certificate (node API), its anchoring (OcpAnchor `Anchored`
// events) and any evidence, and reports it once settled, in slot order.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { OcpAnchor } from "@ocp/contracts";
import { orchestratorCalldata } from "@ocp/node/devnet";
import {
  eezTableDigest,
  encodePostAndVerifyBatch,
  fromHex,
  type Observation,
  SCHEMA_EEZ_V1,
  signCommitment,
  signedCommitmentToJson,
  toHex,
} from "@ocp/protocol";
import { type Hex, keccak256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { BatchGenerator, makeRng } from "./batch.js";
import { getJson, postJson } from "./http.js";
import { BUILDER_KEY, makeWallet, type Network, removeDir, startNetwork } from "./network.js";
import { ProcessManager } from "./procs.js";

export interface DevnetOptions {
  /** Verifier node processes. @default 4 */
  nodes: number;
  /** Verifier keys per node. @default 1 */
  keysPerNode: number;
  /** Builder slots to run; unbounded (until Ctrl-C) when absent. */
  slots?: number;
  /** @default 2000 */
  slotTimeMs: number;
  /** Sign a second, different commitment on every other slot. @default false */
  byzantineBuilder: boolean;
  /** Save each slot's certificate and the set JSON here. */
  out?: string;
  /** Keep the devnet's directory (keys, configs, databases). @default false */
  keep: boolean;
  /** Seed of the batch generator. */
  seed: number;
}

export interface SlotReport {
  slot: string;
  entries: number;
  /** Signers of the certificate (the anchored one when anchored). */
  signers: number;
  of: number;
  /** From the builder seeing its block to the first certificate at a node; null if none. */
  certificateMs: number | null;
  anchored: boolean;
  tx: Hex | null;
  gas: string | null;
  /** Equivocation evidence items held for the slot. */
  evidence: number;
}

export interface DevnetSummary {
  slots: number;
  certified: number;
  anchored: number;
  quorum: number;
  certificateMsP50: number | null;
  certificateMsP99: number | null;
  anchorGasTotal: string;
  evidence: number;
  pids: number[];
}

export interface DevnetHooks {
  status(msg: string): void;
  slot(report: SlotReport): void;
  /** Slots in flight, for a live view; called whenever one changes. */
  progress?(pending: PendingView[]): void;
  signal: AbortSignal;
}

export interface PendingView {
  slot: string;
  entries: number;
  certified: boolean;
  anchored: boolean;
}

interface Tracked {
  slot: bigint;
  entries: number;
  byzantine: boolean;
  seenAt: number;
  certificateMs: number | null;
  certSigners: number;
  anchored: boolean;
  anchorSigners: number;
  tx: Hex | null;
  gas: bigint | null;
  evidence: number;
  deadline: number;
}

function popcount(hex: string): number {
  let c = 0;
  for (const b of fromHex(hex)) for (let x = b; x; x &= x - 1) c++;
  return c;
}

function percentile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((r) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      r();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });

export async function runDevnet(opts: DevnetOptions, hooks: DevnetHooks): Promise<DevnetSummary> {
  const procs = new ProcessManager();
  let net: Network | undefined;
  try {
    net = await startNetwork(
      { nodes: opts.nodes, keysPerNode: opts.keysPerNode, slotTimeMs: opts.slotTimeMs, log: hooks.status },
      procs,
    );
    hooks.status(`dashboard ${net.nodes[0]!.api}/ (every node serves its own at its API address)`);
    if (opts.out) {
      await mkdir(opts.out, { recursive: true });
      await writeFile(join(opts.out, "set.json"), JSON.stringify(JSON.parse(await readSet(net)), null, 2));
    }
    return await loop(net, opts, hooks, procs);
  } finally {
    hooks.status("stopping");
    await procs.stopAll();
    await net?.anvil.stop();
    if (net && !opts.keep) await removeDir(net.dir);
    else if (net) hooks.status(`kept ${net.dir}`);
  }
}

function readSet(net: Network): Promise<string> {
  return readFile(join(net.dir, "set.json"), "utf8");
}

async function loop(
  net: Network,
  opts: DevnetOptions,
  hooks: DevnetHooks,
  procs: ProcessManager,
): Promise<DevnetSummary> {
  const builder = makeWallet(BUILDER_KEY, net.anvil.rpcUrl);
  const builderAddress = fromHex(privateKeyToAccount(BUILDER_KEY).address);
  const gen = new BatchGenerator(makeRng(opts.seed));
  const streamHex = toHex(net.stream);
  const n = net.set.verifiers.length;
  const quorum = Math.floor((2 * n) / 3) + 1;
  const tracked: Tracked[] = [];
  const reports: SlotReport[] = [];
  let emitted = 0;
  const signal = hooks.signal;

  const progress = (): void =>
    hooks.progress?.(
      tracked.slice(emitted).map((t) => ({
        slot: t.slot.toString(),
        entries: t.entries,
        certified: t.certificateMs !== null,
        anchored: t.anchored,
      })),
    );

  // ----- tracker: certificates, anchoring, evidence; reports in slot order
  let fromBlock = await net.wallet.getBlockNumber();
  const poll = async (): Promise<void> => {
    const api = net.nodes[0]!.api;
    for (const t of tracked.slice(emitted)) {
      if (t.certificateMs !== null) continue;
      const cert = await getJson<{ signers: string }>(
        `${api}/v1/streams/${streamHex}/certificates/${t.slot}`,
      ).catch(() => undefined);
      if (cert) {
        t.certificateMs = Date.now() - t.seenAt;
        t.certSigners = popcount(cert.signers);
        if (opts.out) await writeFile(join(opts.out, `cert-${t.slot}.json`), JSON.stringify(cert, null, 2));
        progress();
      }
    }
    const head = await net.wallet.getBlockNumber();
    if (head >= fromBlock) {
      const logs = await net.wallet.getContractEvents({
        address: net.anchor,
        abi: OcpAnchor.abi,
        eventName: "Anchored",
        args: { stream: streamHex as Hex },
        fromBlock,
        toBlock: head,
      } as never);
      for (const log of logs as unknown as { args: { slot: bigint; signers: Hex }; transactionHash: Hex }[]) {
        const t = tracked.find((x) => x.slot === log.args.slot);
        if (!t || t.anchored) continue;
        const r = await net.wallet.getTransactionReceipt({ hash: log.transactionHash });
        t.anchored = true;
        t.anchorSigners = popcount(log.args.signers);
        t.tx = log.transactionHash;
        t.gas = r.gasUsed;
        progress();
      }
      fromBlock = head + 1n;
    }
    if (tracked.length > emitted) {
      const ev = await getJson<{ slot: string }[]>(
        `${api}/v1/evidence?stream=${streamHex}&fromSlot=${tracked[emitted]!.slot}`,
      ).catch(() => undefined);
      for (const t of tracked.slice(emitted))
        t.evidence = ev?.filter((e) => e.slot === t.slot.toString()).length ?? 0;
    }
    report();
  };
  /** Reports tracked slots in order while settled or past their deadline (all of them once aborted). */
  const report = (): void => {
    while (emitted < tracked.length) {
      const t = tracked[emitted]!;
      const settled = t.certificateMs !== null && t.anchored && (!t.byzantine || t.evidence > 0);
      if (!settled && Date.now() < t.deadline && !signal.aborted) break;
      const r: SlotReport = {
        slot: t.slot.toString(),
        entries: t.entries,
        signers: t.anchored ? t.anchorSigners : t.certSigners,
        of: n,
        certificateMs: t.certificateMs,
        anchored: t.anchored,
        tx: t.tx,
        gas: t.gas === null ? null : t.gas.toString(),
        evidence: t.evidence,
      };
      reports.push(r);
      emitted++;
      hooks.slot(r);
      progress();
    }
  };
  let tracking = true;
  const tracker = (async () => {
    while (tracking || emitted < tracked.length) {
      try {
        await poll();
      } catch (e) {
        hooks.status(`tracker: ${(e as Error).message.split("\n")[0]}`);
        // Stopping, and the chain or the nodes no longer answer: report what is known.
        if (!tracking && signal.aborted) report();
      }
      if (!tracking && emitted >= tracked.length) break;
      await sleep(100);
    }
  })();

  // ----- builder: one batch per slot, then its commitment through a node
  try {
    let last = await builder.getBlockNumber();
    for (let k = 0; opts.slots === undefined || k < opts.slots; k++) {
      if (signal.aborted) break;
      // Post as soon as the previous batch's block is the head, so the next block carries ours.
      while (!signal.aborted) {
        const b = await builder.getBlockNumber();
        if (b >= last) break;
        await sleep(50, signal);
      }
      if (signal.aborted) break;
      const { batches, via } = gen.slot();
      const to = via === "direct" ? net.table : net.orchestrator;
      const data =
        via === "direct"
          ? (toHex(encodePostAndVerifyBatch(batches[0]!)) as Hex)
          : orchestratorCalldata(batches);
      const hash = await builder.sendTransaction({ to, data, gas: 15_000_000n });
      const receipt = await builder.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      const seenAt = Date.now();
      last = receipt.blockNumber;
      if (receipt.status !== "success") {
        hooks.status(`slot ${receipt.blockNumber}: batch transaction reverted`);
        continue;
      }
      const digest = eezTableDigest(batches.map((b) => ({ calldata: encodePostAndVerifyBatch(b) })));
      const observation: Observation = {
        stream: net.stream,
        slot: receipt.blockNumber,
        l1BlockNumber: receipt.blockNumber,
        l1BlockHash: fromHex(receipt.blockHash),
        schema: SCHEMA_EEZ_V1,
        tableDigest: digest.tableDigest,
        entryCount: digest.entryCount,
      };
      const byzantine = opts.byzantineBuilder && k % 2 === 1;
      tracked.push({
        slot: receipt.blockNumber,
        entries: digest.entryCount,
        byzantine,
        seenAt,
        certificateMs: null,
        certSigners: 0,
        anchored: false,
        anchorSigners: 0,
        tx: null,
        gas: null,
        evidence: 0,
        // Confirmation, decision, aggregation and the anchorer's fallback all fit in ~6 slots.
        deadline: seenAt + Math.max(20_000, 8 * opts.slotTimeMs),
      });
      progress();
      const via_ = net.nodes[k % net.nodes.length]!;
      const signed = signCommitment(
        net.domain,
        { observation, builder: builderAddress },
        fromHex(BUILDER_KEY),
      );
      await postJson(`${via_.api}/v1/commitments`, signedCommitmentToJson(signed), net.token).catch(
        (e: Error) => hooks.status(`slot ${observation.slot}: commitment not accepted: ${e.message}`),
      );
      if (byzantine) {
        // A second, different observation for the same slot under the same builder key.
        const forged = { ...observation, tableDigest: fromHex(keccak256(observation.tableDigest)) };
        const twin = signCommitment(
          net.domain,
          { observation: forged, builder: builderAddress },
          fromHex(BUILDER_KEY),
        );
        await postJson(`${via_.api}/v1/commitments`, signedCommitmentToJson(twin), net.token).catch(
          () => undefined,
        );
      }
    }
  } finally {
    tracking = false;
    await tracker;
  }

  const lat = reports.flatMap((r) => (r.certificateMs === null ? [] : [r.certificateMs]));
  return {
    slots: reports.length,
    certified: reports.filter((r) => r.certificateMs !== null).length,
    anchored: reports.filter((r) => r.anchored).length,
    quorum,
    certificateMsP50: percentile(lat, 50),
    certificateMsP99: percentile(lat, 99),
    anchorGasTotal: reports.reduce((a, r) => a + BigInt(r.gas ?? 0), 0n).toString(),
    evidence: reports.reduce((a, r) => a + r.evidence, 0),
    pids: procs.pids(),
  };
}
