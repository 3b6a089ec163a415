// VerifierSetsSync against a local JSON-RPC server standing in for the anchor
// chain's node: which answers keep the node's sets "current" for a slot.
import { OcpAnchor } from "@ocp/contracts";
import { getBls, VerifierSetRegistry } from "@ocp/protocol";
import { encodeFunctionResult, type Hex, toFunctionSelector } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JsonRpcTestServer, startJsonRpcServer } from "../../../../../test/utils/jsonRpcServer.js";
import { VerifierSetsSync } from "../../../src/sync/verifierSets.js";
import { nullLogger } from "../../../src/util/logger.js";

const ANCHOR = "0x00000000000000000000000000000000000a0c4e" as const;
const selector = (sig: string): string => toFunctionSelector(sig).slice(2);

/** How the server answers `activationLeadSlots()`: a value, an RPC error, or a revert (no such view). */
let leadAnswer: { lead: bigint } | "rpc-error" | "revert" = { lead: 4n };
let server: JsonRpcTestServer;
/** eth_calls answered (two per refresh). */
let calls = 0;

beforeAll(async () => {
  server = await startJsonRpcServer(({ id, method, params }, res) => {
    const reply = (o: object): void => void res.end(JSON.stringify({ jsonrpc: "2.0", id, ...o }));
    if (method !== "eth_call") return reply({ result: "0x1" });
    calls++;
    const data = (params[0] as { data?: Hex; input?: Hex }).data ?? (params[0] as { input: Hex }).input;
    if (data.slice(2, 10) === selector("latestEpoch()"))
      // No set registered: the refresh reads nothing else.
      return reply({
        result: encodeFunctionResult({
          abi: OcpAnchor.abi,
          functionName: "latestEpoch",
          result: [false, 0n],
        }),
      });
    if (data.slice(2, 10) === selector("activationLeadSlots()")) {
      if (leadAnswer === "rpc-error") return reply({ error: { code: -32000, message: "request timed out" } });
      if (leadAnswer === "revert")
        return reply({ error: { code: 3, message: "execution reverted", data: "0x" } });
      return reply({
        result: encodeFunctionResult({
          abi: OcpAnchor.abi,
          functionName: "activationLeadSlots",
          result: leadAnswer.lead,
        }),
      });
    }
    return reply({ error: { code: -32601, message: "unexpected call" } });
  });
});
afterAll(() => server.close());

function sync(clock: { slot: bigint }, minRefreshIntervalMs?: number): VerifierSetsSync {
  return new VerifierSetsSync({
    source: {
      rpcUrl: server.url,
      refreshSlots: 2,
      ...(minRefreshIntervalMs === undefined ? {} : { minRefreshIntervalMs }),
    },
    contract: ANCHOR,
    sets: new VerifierSetRegistry(),
    bls: getBls(),
    clock: { currentSlot: () => clock.slot },
    logger: nullLogger,
    isRunning: () => true,
  });
}

describe("VerifierSetsSync", () => {
  it("stays current for the lead after a refresh whose lead read failed on the RPC", async () => {
    const clock = { slot: 10n };
    const s = sync(clock);
    leadAnswer = { lead: 4n };
    await s.refresh();
    expect(s.currentFor(13n)).toBe(true);
    expect(s.currentFor(14n)).toBe(false);
    // The next refresh's lead read times out: that says nothing about the contract's lead.
    clock.slot = 12n;
    leadAnswer = "rpc-error";
    await s.request(true);
    expect(s.currentFor(12n)).toBe(true);
    expect(s.currentFor(13n)).toBe(true);
  });

  it("a contract without the lead view has no lead: current for no slot, so every signing refreshes", async () => {
    const clock = { slot: 10n };
    const s = sync(clock);
    leadAnswer = "revert";
    await s.refresh();
    expect(s.currentFor(10n)).toBe(false);
  });

  // Gossip under a set not held here waits on nextRefresh (docs/spec.md §5.3).
  it("a wait for the next refresh ends with the refresh a message asked for", async () => {
    const s = sync({ slot: 10n });
    leadAnswer = { lead: 4n };
    const before = calls;
    void s.request(false);
    const wait = s.nextRefresh(5_000);
    expect(wait).not.toBeNull();
    expect(await wait).toBe(true);
    expect(calls - before).toBe(2);
    expect(s.currentFor(13n)).toBe(true);
  });

  it("just after a refresh, a wait still gets one, once the rate limit allows it", async () => {
    const s = sync({ slot: 10n }, 150);
    leadAnswer = { lead: 4n };
    expect(await s.request(false)).toBe(true);
    // Rate-limited: a message asking now gets no refresh of its own.
    expect(await s.request(false)).toBe(false);
    const before = calls;
    const t0 = Date.now();
    const waits = [s.nextRefresh(5_000), s.nextRefresh(5_000)];
    expect(await Promise.all(waits)).toEqual([true, true]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    // One refresh for both waits.
    expect(calls - before).toBe(2);
  });

  it("a failed refresh is tried again for those waiting, once the rate limit allows", async () => {
    const s = sync({ slot: 10n }, 100);
    leadAnswer = "rpc-error";
    const before = calls;
    const failed = s.request(true);
    const wait = s.nextRefresh(5_000);
    expect(await failed).toBe(false);
    // The anchor's RPC is back before the next attempt.
    leadAnswer = { lead: 4n };
    expect(await wait).toBe(true);
    expect(calls - before).toBe(4);
    expect(s.currentFor(13n)).toBe(true);
  });

  it("the time bound and the node's stop end a wait with false", async () => {
    const s = sync({ slot: 10n }, 100);
    leadAnswer = "rpc-error";
    expect(await s.nextRefresh(350)).toBe(false);
    const stopped = s.nextRefresh(5_000);
    s.stop();
    expect(await stopped).toBe(false);
    leadAnswer = { lead: 4n };
  });

  it("with sets from files only there is nothing to wait for", () => {
    const s = new VerifierSetsSync({
      source: undefined,
      contract: ANCHOR,
      sets: new VerifierSetRegistry(),
      bls: getBls(),
      clock: { currentSlot: () => 10n },
      logger: nullLogger,
      isRunning: () => true,
    });
    expect(s.nextRefresh(1_000)).toBeNull();
  });
});
