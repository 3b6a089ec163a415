import { createPublicClient, http } from "viem";
import { describe, expect, it } from "vitest";
import { startAnvil } from "../../packages/node/src/devnet/anvil.js";
import { alive } from "../utils/process.js";

describe("anvil helper", () => {
  it("starts on a free port with EIP-2537 and stops without leaving a process", async () => {
    const a = await startAnvil();
    const b = await startAnvil();
    try {
      expect(a.port).not.toBe(b.port);
      const client = createPublicClient({ transport: http(a.rpcUrl) });
      expect(await client.getChainId()).toBe(31337);
      // G1ADD precompile (0x0b) of two infinity points returns 128 zero bytes.
      const out = await client.call({
        to: "0x000000000000000000000000000000000000000b",
        data: `0x${"00".repeat(256)}`,
      });
      expect(out.data).toBe(`0x${"00".repeat(128)}`);
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(alive(a.pid)).toBe(false);
    expect(alive(b.pid)).toBe(false);
  });
});
