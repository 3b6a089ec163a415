// One L1 block holds an honest batch and a hostile one that the calldata table
// contract accepts (tails before their heads, aliased tails, a blob index past
// the transaction's blobs). Before docs/spec.md §4.1's decoding rule, ocp read
// such calldata with the strict `memory` decoder, refused it and abstained for
// the whole slot; now every node digests both batches to what the contract
// itself emitted, every node signs, and the slot is anchored.
import { ExecutionTable } from "@ocp/contracts";
import {
  type AbiValue,
  abiDecode,
  BATCH_ABI,
  eezTableDigest,
  eezTableDigestOf,
  encodePostAndVerifyBatch,
  fromHex,
  type Observation,
  observationRoot,
  SCHEMA_EEZ_V1,
  TableErrorCode,
  toHex,
} from "@ocp/protocol";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  parseEventLogs,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { hostileCalldata } from "../../packages/protocol/test/unit/schemas/hostile.js";
import { ANVIL_PRIVATE_KEYS } from "../utils/anvil.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

const NODES = 4;

describe("node: a hostile batch in the slot does not silence the verifiers", () => {
  let c: Cluster;

  beforeAll(async () => {
    c = await startCluster({ nodes: NODES, anchorers: [0, 1] });
    await c.waitMeshed(2);
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("one block with an honest and a hostile batch: every node signs and the slot is anchored", async () => {
    const pub = createPublicClient({ chain: foundry, transport: http(c.anvil.rpcUrl) });
    const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(c.anvil.rpcUrl) });
    const account = privateKeyToAccount(ANVIL_PRIVATE_KEYS[5]);
    const wallet = createWalletClient({ account, chain: foundry, transport: http(c.anvil.rpcUrl) });

    const honest = randomBatch(makeRng(11), { maxEntries: 3 });
    honest.transientExecutionEntryCount = 0n;
    const honestData = encodePostAndVerifyBatch(honest);

    const hb = randomBatch(makeRng(12), { maxEntries: 3, maxLookups: 2 });
    hb.transientExecutionEntryCount = 0n;
    hb.entries.push(hb.entries[0]!); // the same entry twice: its tail is shared
    hb.blobIndices = [0n, 3n]; // the transaction carries no blob: both read as zero on chain
    const { calldata: hostileData } = hostileCalldata(hb as unknown as AbiValue, makeRng(13), {
      tailsFirst: 1,
      alias: 1,
    });
    // The strict (memory) decoder the digest used before refuses it: its offsets wrap below their base.
    expect(() => abiDecode(BATCH_ABI, hostileData, 4)).toThrow(
      expect.objectContaining({ code: TableErrorCode.BAD_OFFSET }),
    );

    // Both transactions in one block.
    await test.setAutomine(false);
    let hashes: Hex[];
    try {
      hashes = [];
      for (const data of [honestData, hostileData]) {
        hashes.push(
          await wallet.sendTransaction({
            to: c.table,
            data: toHex(data),
            gas: 5_000_000n,
            account,
            chain: foundry,
          }),
        );
      }
      await test.mine({ blocks: 1 });
    } finally {
      await test.setAutomine(true);
    }
    const receipts = await Promise.all(hashes.map((hash) => pub.waitForTransactionReceipt({ hash })));
    for (const r of receipts) expect(r.status).toBe("success");
    expect(receipts[1]!.blockNumber).toBe(receipts[0]!.blockNumber);
    const slot = receipts[0]!.blockNumber;

    // The observation from the contract's own values: each call emitted the
    // `shared` digest it computed, and the slot's entries are both batches'.
    const emitted = receipts.map(
      (r) =>
        parseEventLogs({ abi: ExecutionTable.abi, logs: r.logs, eventName: "BatchDigest" })[0]!.args.shared,
    );
    const observation: Observation = {
      stream: c.stream,
      slot,
      l1BlockNumber: slot,
      l1BlockHash: fromHex(receipts[0]!.blockHash),
      schema: SCHEMA_EEZ_V1,
      tableDigest: eezTableDigestOf(emitted.map((h) => fromHex(h, 32))),
      entryCount: honest.entries.length + hb.entries.length,
    };
    // ocp's digest of the calls is exactly that.
    const digest = eezTableDigest([{ calldata: honestData }, { calldata: hostileData }]);
    expect(digest.batches.map((b) => toHex(b.shared))).toEqual(emitted);
    expect(toHex(digest.tableDigest)).toBe(toHex(observation.tableDigest));
    expect(digest.entryCount).toBe(observation.entryCount);
    const root = toHex(observationRoot(c.domain, observation));
    await c.commit(observation, 0);
    await c.mine(1);

    // Every verifier signed this observation (attestations gossiped to node 0 and kept there).
    const signed = await waitFor(
      async () => {
        const atts = await c.nodes[0]!.db.attestations.bySlot(c.stream, slot);
        const by = new Set(
          atts
            .filter((a) => toHex(observationRoot(a.domain, a.observation)) === root)
            .map((a) => a.verifierIndex),
        );
        return by.size === NODES ? by : undefined;
      },
      30_000,
      `attestations of all ${NODES} verifiers for slot ${slot}`,
    );
    expect([...signed].sort()).toEqual([0, 1, 2, 3]);
    for (const node of c.nodes) {
      const atts = await node!.db.attestations.bySlot(c.stream, slot);
      for (const a of atts) expect(toHex(observationRoot(a.domain, a.observation))).toBe(root);
    }

    // And the slot is anchored with that observation.
    expect(await c.waitAnchored(slot)).toBe(root);
  });
});
