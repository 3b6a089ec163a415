// The proof checker's hand-written `verify(bytes,bytes32)` calldata against
// viem's ABI encoder, for proofs of every length around the 32-byte padding.
import { toHex } from "@ocp/protocol";
import fc from "fast-check";
import { encodeFunctionData, toFunctionSelector } from "viem";
import { describe, expect, it } from "vitest";
import { I_PROOF_SYSTEM_ABI, VERIFY_SELECTOR, verifyCalldata } from "../../../src/checkers/proof.js";

describe("proof checker calldata", () => {
  it("selector is keccak256('verify(bytes,bytes32)')[0..4]", () => {
    expect(VERIFY_SELECTOR).toBe(toFunctionSelector("verify(bytes,bytes32)"));
  });

  it("matches viem's encodeFunctionData for any proof and hash", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (proof, hash) => {
          const viem = encodeFunctionData({
            abi: I_PROOF_SYSTEM_ABI,
            functionName: "verify",
            args: [toHex(proof), toHex(hash)],
          });
          expect(verifyCalldata(proof, hash)).toBe(viem);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects a public-inputs hash that is not 32 bytes", () => {
    expect(() => verifyCalldata(new Uint8Array(1), new Uint8Array(31))).toThrow(/32 bytes/);
  });
});
