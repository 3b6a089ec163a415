// `ocp node start` as a separate process: the built bin reads node.json,
// prints its --json line, serves the API, and exits 0 on SIGTERM.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { createKeystore } from "@ocp/node";
import { blstBls, verifierSetToJson } from "@ocp/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { useAnvil } from "../utils/anvil.js";

const BIN = resolve(import.meta.dirname, "../../packages/cli/bin/ocp.js");
const anvil = useAnvil();
const dir = mkdtempSync(join(tmpdir(), "ocp-cli-node-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  line: Promise<string>;
  exit: Promise<number | null>;
  stderr: () => string;
}

function startBin(args: string[]): Started {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (b: Buffer) => {
    err += b.toString();
  });
  const rl = createInterface({ input: child.stdout! });
  const line = new Promise<string>((res, rej) => {
    rl.once("line", res);
    child.once("exit", (code) => rej(new Error(`exited ${code} before printing: ${err.slice(-2000)}`)));
  });
  line.catch(() => undefined);
  const exit = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  return { child, line, exit, stderr: () => err };
}

async function writeConfig(name: string, rpc: string, extra: Record<string, unknown> = {}): Promise<string> {
  const base = join(dir, name);
  mkdirSync(join(base, "keys"), { recursive: true });
  const sk = blstBls.keygen(new Uint8Array(32).fill(7));
  const secret = blstBls.secretKeyToBytes(sk);
  const ks = await createKeystore(secret, "pw", blstBls, { kdf: "pbkdf2", pbkdf2C: 16 });
  writeFileSync(join(base, "keys", "v0.json"), JSON.stringify(ks));
  writeFileSync(join(base, "password.txt"), "pw\n");
  writeFileSync(join(base, "token.txt"), "secret-token\n");
  const pubkey = blstBls.publicKeyToBytes(blstBls.publicKey(sk));
  writeFileSync(
    join(base, "set.json"),
    JSON.stringify(
      verifierSetToJson({
        epoch: 0n,
        activationSlot: 0n,
        quorum: { numerator: 2, denominator: 3 },
        verifiers: [{ pubkey, weight: 1n, pop: blstBls.popProve(sk) }],
      }),
    ),
  );
  const cfg = {
    dataDir: "data",
    network: { network: "cli-test", listenAddrs: ["/ip4/127.0.0.1/tcp/0"], localNetwork: true },
    domain: { chainId: 31337, verifyingContract: `0x${"cc".repeat(20)}` },
    streams: [{ name: "eez", l1ChainId: 31337, tableContract: `0x${"ab".repeat(20)}` }],
    l1: {
      rpcUrls: [rpc],
      agreement: 1,
      confirmations: 1,
      pollIntervalMs: 200,
      slots: { mode: "block-number" },
    },
    verifierSets: ["set.json"],
    keystores: { dir: "keys", passwordFile: "password.txt" },
    api: { host: "127.0.0.1", port: 0, bearerTokenFile: "token.txt" },
    doppelganger: { enabled: false },
    ...extra,
  };
  const file = join(base, "node.json");
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

describe("ocp node start", () => {
  it("prints the --json line, serves the API, stops on SIGTERM with exit 0", async () => {
    const config = await writeConfig("a", anvil.current.rpcUrl);
    const run = startBin(["node", "start", "--config", config, "--json", "--log-level", "warn"]);
    try {
      const info = JSON.parse(await run.line) as { peerId: string; multiaddrs: string[]; api: string };
      expect(info.peerId).toMatch(/^12D3Koo/);
      expect(info.multiaddrs.length).toBeGreaterThan(0);
      expect(info.multiaddrs[0]).toContain(`/p2p/${info.peerId}`);
      expect(info.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${info.api}/v1/node/identity`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { peerId?: string };
      expect(body.peerId).toBe(info.peerId);
      // the password and token never reach the output
      expect(run.stderr()).not.toContain("secret-token");
    } finally {
      run.child.kill("SIGTERM");
    }
    expect(await run.exit).toBe(0);
  });

  it("flags override the file (--data-dir, --rpc, --listen)", async () => {
    const config = await writeConfig("b", "http://127.0.0.1:1");
    const dataDir = join(dir, "b-override-data");
    const run = startBin([
      "node",
      "start",
      "--config",
      config,
      "--json",
      "--log-level",
      "warn",
      "--data-dir",
      dataDir,
      "--rpc",
      anvil.current.rpcUrl,
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
    ]);
    try {
      const info = JSON.parse(await run.line) as { api: string };
      expect(info.api).toMatch(/^http:/);
      const { existsSync } = await import("node:fs");
      expect(existsSync(join(dataDir, "CURRENT"))).toBe(true);
    } finally {
      run.child.kill("SIGTERM");
    }
    expect(await run.exit).toBe(0);
  });

  it("exits 2 naming the field for a bad config", async () => {
    const config = await writeConfig("c", "ftp://nope");
    const run = startBin(["node", "start", "--config", config, "--json"]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain("/l1/rpcUrls/0: expected an http(s) URL");
  });

  it("exits 2 naming a nested typo, and for a bad checker config", async () => {
    let config = await writeConfig("e", anvil.current.rpcUrl, {
      network: { network: "cli-test", gossip: { scoreThresholds: { gossipThreshol: -10 } } },
    });
    let run = startBin(["node", "start", "--config", config, "--json"]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(`${config}: /network/gossip/scoreThresholds/gossipThreshol: unknown key`);
    config = await writeConfig("f", anvil.current.rpcUrl, { checkers: { exec: { args: ["--fast"] } } });
    run = startBin(["node", "start", "--config", config, "--json"]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(`${config}: /checkers/exec/command: required`);
  });

  it("exits 2 for a wrong keystore password", async () => {
    const config = await writeConfig("d", anvil.current.rpcUrl);
    writeFileSync(join(dir, "d", "password.txt"), "wrong\n");
    const run = startBin(["node", "start", "--config", config, "--json"]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toMatch(/\/keystores\/dir: .*v0\.json: KEYSTORE_ERROR_WRONG_PASSWORD/);
  });
});
