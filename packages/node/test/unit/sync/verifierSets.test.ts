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

beforeAll(async () => {
  server = await startJsonRpcServer(({ id, method, params }, res) => {
    const reply = (o: object): void => void res.end(JSON.stringify({ jsonrpc: "2.0", id, ...o }));
    if (method !== "eth_call") return reply({ result: "0x1" });
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

function sync(clock: { slot: bigint }): VerifierSetsSync {
  return new VerifierSetsSync({
    source: { rpcUrl: server.url, refreshSlots: 2 },
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
});
