// Child for lean-entry.test.ts, run with the built packages. argv[2]:
// "import <specifier>": import it and exit; "node" / "node-api": start one
// OcpNode (unreachable L1 RPC, no anchor; "node-api" also serves the HTTP API),
// then stop it. Prints "ok" when done, after the built-in modules the process
// loaded ("builtins <json>") when OCP_PRINT_BUILTINS is set.
import "@ocp/node/polyfill";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [mode, specifier] = process.argv.slice(2);
if (mode === "import") {
  await import(specifier);
} else if (mode === "node" || mode === "node-api") {
  const { OcpNode } = await import("@ocp/node");
  const { getBls } = await import("@ocp/protocol");
  const { pino } = await import("pino");
  const bls = getBls();
  const sk = bls.keygen(crypto.getRandomValues(new Uint8Array(32)));
  const verifiers = [{ pubkey: bls.publicKeyToBytes(bls.publicKey(sk)), weight: 1n, pop: bls.popProve(sk) }];
  const dir = mkdtempSync(join(tmpdir(), "ocp-lean-"));
  try {
    const node = new OcpNode(
      {
        dataDir: join(dir, "db"),
        network: { network: "lean", localNetwork: true },
        domain: { chainId: 31337, verifyingContract: "0x00000000000000000000000000000000000a0c0e" },
        streams: [
          { name: "eez", l1ChainId: 31337, tableContract: "0x00000000000000000000000000000000000b0b0b" },
        ],
        // Nothing listens on port 9: the node starts anyway and keeps polling.
        l1: { rpcUrls: ["http://127.0.0.1:9"] },
        doppelganger: { enabled: false },
        verifierSets: [
          { epoch: 0n, activationSlot: 0n, quorum: { numerator: 2, denominator: 3 }, verifiers },
        ],
        ...(mode === "node-api" ? { api: { port: 0 } } : {}),
      },
      { secretKeys: [sk], logger: pino({ level: "silent" }) },
    );
    await node.start();
    if (mode === "node-api" && !node.api?.url) throw new Error("API not serving");
    await node.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
if (process.env.OCP_PRINT_BUILTINS) {
  const builtins = process.moduleLoadList
    .filter((m) => m.startsWith("NativeModule "))
    .map((m) => m.slice(13));
  console.log(`builtins ${JSON.stringify(builtins)}`);
}
console.log("ok");
process.exit(0);
