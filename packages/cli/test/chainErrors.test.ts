import { OcpAnchor } from "@ocp/contracts";
import { ContractFunctionExecutionError, ContractFunctionRevertedError, encodeErrorResult } from "viem";
import { describe, expect, it } from "vitest";
import { shortRpcError } from "../src/util/chain.js";

describe("shortRpcError", () => {
  it("names the contract's custom error and its arguments, decoded by viem from the revert data", () => {
    const data = encodeErrorResult({ abi: OcpAnchor.abi, errorName: "ActivationTooSoon", args: [21n, 22n] });
    const reverted = new ContractFunctionRevertedError({
      abi: OcpAnchor.abi,
      data,
      functionName: "finalizeSet",
    });
    const e = new ContractFunctionExecutionError(reverted, {
      abi: OcpAnchor.abi,
      functionName: "finalizeSet",
      args: [],
      contractAddress: "0x00000000000000000000000000000000000000aa",
    });
    const msg = shortRpcError(e);
    expect(msg).toContain('"finalizeSet" reverted');
    expect(msg).toContain("ActivationTooSoon(21, 22)");
    expect(msg).not.toContain("\n");
  });

  it("keeps the first line of an error without revert data", () => {
    expect(shortRpcError(new Error("connect ECONNREFUSED 127.0.0.1:1\nstack…"))).toBe(
      "connect ECONNREFUSED 127.0.0.1:1",
    );
  });
});
