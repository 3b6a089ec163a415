// 1,000 keys registered with on-chain PoP checks, each transaction under
// EIP-7825's cap (anvil enforces it), then a 1,000-member set anchoring a
// certificate signed by 95 % of it.
import { OcpAnchor } from "@ocp/contracts";
import { g2ToEip2537, getBls, observationRoot, toHex } from "@ocp/protocol";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { useAnvil } from "../utils/anvil.js";
import {
  bytes32,
  connect,
  deployAnchor,
  domainOf,
  EIP7825_TX_GAS_CAP,
  makeObservation,
  makeVerifiers,
  obsArg,
  read,
  registerKeys,
  registerSet,
  revertName,
  send,
} from "./anchor-fixture.js";

const anvil = useAnvil();

describe("OcpAnchor at 1,000 verifiers", () => {
  it("registers 1,000 keys in chunks under the per-transaction gas cap and anchors at 95 %", async () => {
    const c = connect(anvil.current.rpcUrl);
    const anchor: Hex = await deployAnchor(c);
    const n = 1000;
    const vs = makeVerifiers(n, "registry-1000");

    // One transaction with every key cannot fit under the cap.
    const all = [
      toHex(Buffer.concat(vs.map((v) => v.pubkey128))),
      toHex(Buffer.concat(vs.map((v) => v.pop256))),
    ];
    await expect(
      c.pub.estimateContractGas({
        address: anchor,
        abi: OcpAnchor.abi,
        functionName: "registerKeys",
        args: all,
        account: c.account,
      } as never),
    ).rejects.toThrow();

    const receipts = await registerKeys(c, anchor, vs);
    expect(receipts.length).toBeGreaterThan(1);
    for (const r of receipts) expect(r.gasUsed).toBeLessThan(EIP7825_TX_GAS_CAP);
    expect(await read<number>(c, anchor, OcpAnchor.abi, "keyCount", [])).toBe(n);
    expect(await read<bigint>(c, anchor, OcpAnchor.abi, "keyIndex", [toHex(vs[999]!.pubkey128)])).toBe(999n);

    const setReceipts = await registerSet(c, anchor, {
      epoch: 0n,
      activationSlot: 0n,
      numerator: 2n,
      denominator: 3n,
      members: vs,
      weights: vs.map(() => 1n),
    });
    for (const r of setReceipts) expect(r.gasUsed).toBeLessThan(EIP7825_TX_GAS_CAP);

    const chainId = await c.pub.getChainId();
    const domain = domainOf(chainId, anchor);
    const o = makeObservation(bytes32("stream:1000"), 5n);
    const root = observationRoot(domain, o);
    const bls = getBls();
    // 50 non-signers spread over every chunk of the set
    const nonSigners = new Set(Array.from({ length: 50 }, (_, k) => (k * 397 + 11) % n));
    expect(nonSigners.size).toBe(50);
    const bits = new Uint8Array(n / 8);
    const sigs = [];
    for (let i = 0; i < n; i++) {
      if (nonSigners.has(i)) continue;
      bits[i >> 3]! |= 1 << (i & 7);
      sigs.push(bls.signatureFromBytes(bls.sign(vs[i]!.sk, root)));
    }
    const agg = g2ToEip2537(bls.signatureToBytes(bls.aggregateSignatures(sigs)));
    // flipping one signer to non-signer breaks the signature
    const wrong = bits.slice();
    wrong[0]! ^= 1 << ((0 * 397 + 12) & 7);
    expect(
      await revertName(c, anchor, OcpAnchor.abi, "anchor", [obsArg(o), 0n, toHex(wrong), toHex(agg)]),
    ).toBe("BadSignature");
    const r = await send(c, anchor, OcpAnchor.abi, "anchor", [obsArg(o), 0n, toHex(bits), toHex(agg)]);
    expect(r.gasUsed).toBeLessThan(600_000n);
    expect(await read<Hex>(c, anchor, OcpAnchor.abi, "anchored", [toHex(o.stream), 5n])).toBe(toHex(root));
  });
});
