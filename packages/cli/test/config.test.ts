import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKeystore, defaultNetworkOptions, resolveNetworkOptions } from "@ocp/node";
import { blstBls, toHex, verifierSetToJson } from "@ocp/protocol";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, ConfigErrorCode, loadNodeConfig } from "../src/config.js";
import { createV3Keystore } from "../src/keystoreV3.js";

const dir = mkdtempSync(join(tmpdir(), "ocp-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sks = [1, 2].map((i) => blstBls.keygen(new Uint8Array(32).fill(0x50 + i)));
const pubkeys = sks.map((sk) => toHex(blstBls.publicKeyToBytes(blstBls.publicKey(sk))));
const anchorKey = new Uint8Array(32).fill(0x11);

const base = {
  dataDir: "data",
  network: { network: "t", listenAddrs: ["/ip4/127.0.0.1/tcp/0"], localNetwork: true },
  domain: { chainId: 31337, verifyingContract: `0x${"cc".repeat(20)}` },
  streams: [{ name: "eez", l1ChainId: 31337, tableContract: `0x${"ab".repeat(20)}` }],
  l1: {
    rpcUrls: ["http://127.0.0.1:8545"],
    agreement: 1,
    confirmations: 1,
    pollIntervalMs: 500,
    slots: { mode: "block-number" },
  },
  verifierSets: ["set.json"],
  keystores: { dir: "keys", passwordFile: "password.txt" },
  anchor: {
    rpcUrl: "http://127.0.0.1:8545",
    index: 1,
    count: 2,
    fallbackDelayMs: 4000,
    keystore: "anchorer.json",
    passwordFile: "anchorer-password.txt",
  },
  api: { host: "127.0.0.1", port: 0, bearerTokenFile: "token.txt" },
  proposal: { selfProposeDelayMs: 200 },
  doppelganger: { enabled: false },
};

beforeAll(async () => {
  mkdirSync(join(dir, "keys"));
  for (const [i, sk] of sks.entries()) {
    const ks = await createKeystore(blstBls.secretKeyToBytes(sk), "pw", blstBls, {
      kdf: "pbkdf2",
      pbkdf2C: 16,
    });
    writeFileSync(join(dir, "keys", `k${i}.json`), JSON.stringify(ks));
  }
  writeFileSync(join(dir, "password.txt"), "pw\n");
  writeFileSync(join(dir, "anchorer-password.txt"), "apw\n");
  writeFileSync(join(dir, "token.txt"), "tok\n");
  writeFileSync(
    join(dir, "anchorer.json"),
    JSON.stringify(await createV3Keystore(anchorKey, "apw", { kdf: "pbkdf2", pbkdf2C: 16 })),
  );
  writeFileSync(
    join(dir, "set.json"),
    JSON.stringify(
      verifierSetToJson({
        epoch: 0n,
        activationSlot: 0n,
        quorum: { numerator: 2, denominator: 3 },
        verifiers: sks.map((sk) => ({
          pubkey: blstBls.publicKeyToBytes(blstBls.publicKey(sk)),
          weight: 1n,
          pop: blstBls.popProve(sk),
        })),
      }),
    ),
  );
});

let n = 0;
function write(cfg: unknown): string {
  const p = join(dir, `node${n++}.json`);
  writeFileSync(p, typeof cfg === "string" ? cfg : JSON.stringify(cfg));
  return p;
}

async function failure(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadNodeConfig", () => {
  it("resolves paths against the file, reads sets, decrypts keys, reads the token", async () => {
    const r = await loadNodeConfig(write(base));
    expect(r.options.dataDir).toBe(join(dir, "data"));
    expect(r.options.verifierSets).toHaveLength(1);
    expect(r.options.verifierSets[0]!.verifiers.map((v) => toHex(v.pubkey))).toEqual(pubkeys);
    expect(r.modules.secretKeys).toHaveLength(2);
    expect(r.pubkeys).toEqual(pubkeys);
    expect(r.modules.anchorPrivateKey).toBe(toHex(anchorKey));
    expect(r.anchorAddress).toBe(privateKeyToAddress(toHex(anchorKey)).toLowerCase());
    expect(r.options.anchor).toEqual({
      rpcUrl: "http://127.0.0.1:8545",
      index: 1,
      count: 2,
      fallbackDelayMs: 4000,
    });
    expect(r.options.api).toEqual({ host: "127.0.0.1", port: 0, bearerToken: "tok" });
    expect(r.options.network?.localNetwork).toBe(true);
    expect(r.options.doppelganger).toEqual({ enabled: false });
    expect(r.options.proposal).toEqual({ selfProposeDelayMs: 200 });
  });

  it("lets flags override the file", async () => {
    const r = await loadNodeConfig(write(base), {
      dataDir: "/tmp/elsewhere",
      listen: ["/ip4/0.0.0.0/tcp/9000"],
      bootstrap: ["/ip4/127.0.0.1/tcp/9001/p2p/12D3KooWabc"],
      rpc: ["http://a:1", "http://b:2"],
      apiPort: 8080,
    });
    expect(r.options.dataDir).toBe("/tmp/elsewhere");
    expect(r.options.network?.listenAddrs).toEqual(["/ip4/0.0.0.0/tcp/9000"]);
    expect(r.options.network?.bootstrapPeers).toEqual(["/ip4/127.0.0.1/tcp/9001/p2p/12D3KooWabc"]);
    expect(r.options.l1.rpcUrls).toEqual(["http://a:1", "http://b:2"]);
    expect(r.options.api?.port).toBe(8080);
  });

  it("reads the readiness requirements", async () => {
    const r = await loadNodeConfig(write({ ...base, readiness: { minPeers: 3, l1HeadMaxAgeMs: 5000 } }));
    expect(r.options.readiness).toEqual({ minPeers: 3, l1HeadMaxAgeMs: 5000 });
    const e = await failure(loadNodeConfig(write({ ...base, readiness: { minPeers: -1 } })));
    expect(e.message).toContain("/readiness/minPeers: expected an integer");
  });

  it("takes a WebSocket URL for pushed heads", async () => {
    const r = await loadNodeConfig(write({ ...base, l1: { ...base.l1, wsUrl: "wss://l1.example/ws" } }));
    expect(r.options.l1.wsUrl).toBe("wss://l1.example/ws");
  });

  it("reads the anchoring queue, set refresh and builder allowlist options", async () => {
    const builder = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    const r = await loadNodeConfig(
      write({
        ...base,
        anchor: { ...base.anchor, blockTimeMs: 12000, horizonSlots: 100, retryMinMs: 500, retryMaxMs: 8000 },
        setsFromAnchor: { rpcUrl: "http://127.0.0.1:8545", refreshSlots: 8, minRefreshIntervalMs: 1000 },
        chain: { validation: { builderAllowlist: [builder] } },
      }),
    );
    expect(r.options.anchor).toMatchObject({
      blockTimeMs: 12000,
      horizonSlots: 100,
      retryMinMs: 500,
      retryMaxMs: 8000,
    });
    expect(r.options.setsFromAnchor).toEqual({
      rpcUrl: "http://127.0.0.1:8545",
      refreshSlots: 8,
      minRefreshIntervalMs: 1000,
    });
    expect(r.options.chain?.validation?.builderAllowlist).toEqual([builder]);
  });

  it("runs without keys, anchor and api", async () => {
    const { keystores: _k, anchor: _a, api: _p, ...rest } = base;
    const r = await loadNodeConfig(write(rest));
    expect(r.modules.secretKeys).toEqual([]);
    expect(r.modules.anchorPrivateKey).toBeUndefined();
    expect(r.options.api).toBeUndefined();
  });

  it.each([
    [{ ...base, l1: { ...base.l1, rpcUrls: ["ws://x"] } }, "/l1/rpcUrls/0: expected an http(s) URL"],
    [{ ...base, l1: { ...base.l1, wsUrl: "http://x" } }, "/l1/wsUrl: expected a ws(s) URL"],
    [{ ...base, extra: 1 }, "/extra: unknown key"],
    [
      { ...base, domain: { ...base.domain, verifyingContract: "0x12" } },
      "/domain/verifyingContract: expected a 0x-prefixed 20-byte address",
    ],
    [{ ...base, streams: [] }, "/streams: expected at least 1 item"],
    [{ ...base, l1: { ...base.l1, agreement: 2 } }, "/l1/agreement: expected an integer in [1, 1]"],
    [
      { ...base, network: { bootstrapPeers: ["/ip4/1.2.3.4/tcp/1"] } },
      "/network/bootstrapPeers/0: expected a multiaddr ending in /p2p/",
    ],
    [{ ...base, api: { port: 70000 } }, "/api/port: expected an integer in [0, 65535]"],
    [{ ...base, anchor: { ...base.anchor, index: 2 } }, "/anchor/index: expected an integer in [0, 1]"],
    [{ ...base, l1: { ...base.l1, slots: { mode: "wall-clock" } } }, "/l1/slots/mode"],
    [{ ...base, dataDir: undefined }, "/dataDir: required"],
    [
      { ...base, anchor: { ...base.anchor, retryMinMs: 5000, retryMaxMs: 1000 } },
      "/anchor/retryMaxMs: must not be below /anchor/retryMinMs",
    ],
    [
      { ...base, anchor: { ...base.anchor, horizonSlots: 0 } },
      "/anchor/horizonSlots: expected an integer in [1, 2^53-1]",
    ],
    [
      { ...base, chain: { validation: { builderAllowlist: ["0x12"] } } },
      "/chain/validation/builderAllowlist/0: expected a 0x-prefixed 20-byte address",
    ],
    [
      { ...base, setsFromAnchor: { rpcUrl: "http://x", minRefreshIntervalMs: -1 } },
      "/setsFromAnchor/minRefreshIntervalMs: expected an integer in [0, 2^53-1]",
    ],
    [
      { ...base, network: { gossip: { futureHoldMaxPerPeer: 256 } } },
      "/network/gossip/futureHoldMaxPerPeer: expected an integer in [0, 128]",
    ],
  ])("names the field of a bad value (%#)", async (cfg, message) => {
    const e = await failure(loadNodeConfig(write(cfg)));
    expect(e.code).toBe(ConfigErrorCode.INVALID);
    expect(e.message).toContain(message);
  });

  it("exits on a typo in a nested key, naming its path", async () => {
    const e = await failure(
      loadNodeConfig(
        write({
          ...base,
          network: { ...base.network, gossip: { scoreThresholds: { gossipThreshol: -10 } } },
        }),
      ),
    );
    expect(e.code).toBe(ConfigErrorCode.INVALID);
    expect(e.message).toMatch(
      /^\/network\/gossip\/scoreThresholds\/gossipThreshol: unknown key \(known: gossipThreshold,/,
    );
    const e2 = await failure(loadNodeConfig(write({ ...base, chain: { seen: { maxEntrys: 5 } } })));
    expect(e2.message).toMatch(/^\/chain\/seen\/maxEntrys: unknown key/);
  });

  it("takes negative gossip score thresholds into the network options", async () => {
    const scoreThresholds = { gossipThreshold: -500, publishThreshold: -1000, graylistThreshold: -2000 };
    const r = await loadNodeConfig(
      write({ ...base, network: { ...base.network, gossip: { scoreThresholds } } }),
    );
    expect(r.options.network?.gossip?.scoreThresholds).toEqual(scoreThresholds);
    const resolved = resolveNetworkOptions(r.options.network);
    expect(resolved.gossip.scoreThresholds).toEqual(scoreThresholds);
    // The rest of the gossip defaults stay in force.
    expect(resolved.gossip.maxPendingValidations).toBe(defaultNetworkOptions.gossip.maxPendingValidations);
    // gossipsub's own rules: thresholds ≤ 0, in order.
    let e = await failure(
      loadNodeConfig(write({ ...base, network: { gossip: { scoreThresholds: { gossipThreshold: 5 } } } })),
    );
    expect(e.message).toBe("/network/gossip/scoreThresholds/gossipThreshold: expected a number ≤ 0");
    e = await failure(
      loadNodeConfig(
        write({ ...base, network: { gossip: { scoreThresholds: { publishThreshold: -100 } } } }),
      ),
    );
    expect(e.message).toBe(
      "/network/gossip/scoreThresholds/publishThreshold: must not be above gossipThreshold",
    );
  });

  it("validates the checkers", async () => {
    const vk = `0x${"11".repeat(32)}`;
    const proofSystems = { [`0x${"aa".repeat(20)}`]: { vks: { "1": vk } } };
    const r = await loadNodeConfig(
      write({
        ...base,
        checkers: { proof: { proofSystems }, exec: { command: "/bin/true", timeoutMs: 500 } },
      }),
    );
    expect(r.options.checkers).toEqual({
      proof: { proofSystems },
      exec: { command: "/bin/true", timeoutMs: 500 },
    });
    const bad: [unknown, string][] = [
      [{ exec: { timeoutMs: 5 } }, "/checkers/exec/command: required"],
      [
        { exec: { command: "x", timeoutMs: -1 } },
        "/checkers/exec/timeoutMs: expected an integer in [1, 2^53-1]",
      ],
      [{ exec: { command: "x", args: "--fast" } }, "/checkers/exec/args: expected an array"],
      [{ proof: { proofSystems, rpcUrl: "ftp://x" } }, "/checkers/proof/rpcUrl: expected an http(s) URL"],
      [
        { proof: { proofSystems: { [`0x${"aa".repeat(20)}`]: { vks: { "1": "0x12" } } } } },
        `/checkers/proof/proofSystems/0x${"aa".repeat(20)}/vks/1: expected 0x + 32 bytes`,
      ],
      [{ proof: { proofSystems: { nope: { vks: {} } } } }, "/checkers/proof/proofSystems/nope: unknown key"],
      [{ wasm: {} }, "/checkers/wasm: unknown key (known: proof, exec)"],
    ];
    for (const [checkers, message] of bad) {
      const e = await failure(loadNodeConfig(write({ ...base, checkers })));
      expect(e.code).toBe(ConfigErrorCode.INVALID);
      expect(e.message).toContain(message);
    }
  });

  it("names the flag of a bad flag value", async () => {
    let e = await failure(loadNodeConfig(write(base), { rpc: ["ws://x"] }));
    expect(e.message).toBe("--rpc/0: expected an http(s) URL");
    e = await failure(loadNodeConfig(write(base), { bootstrap: ["/ip4/1.2.3.4/tcp/1"] }));
    expect(e.message).toBe("--bootstrap/0: expected a multiaddr ending in /p2p/<peer id>");
    e = await failure(loadNodeConfig(write(base), { apiPort: 70000 }));
    expect(e.message).toBe("--api-port: expected an integer in [0, 65535]");
    const { dataDir: _d, ...noDataDir } = base;
    const r = await loadNodeConfig(write(noDataDir), { dataDir: "/tmp/flag-data" });
    expect(r.options.dataDir).toBe("/tmp/flag-data");
  });

  it("names missing files and does not parse broken JSON", async () => {
    let e = await failure(loadNodeConfig(join(dir, "nope.json")));
    expect(e.code).toBe(ConfigErrorCode.UNREADABLE);
    expect(e.message).toMatch(/nope\.json: ENOENT/);
    e = await failure(loadNodeConfig(write({ ...base, verifierSets: ["missing-set.json"] })));
    expect(e.message).toMatch(/^\/verifierSets\/0: cannot read .*missing-set\.json: ENOENT/);
    e = await failure(
      loadNodeConfig(write({ ...base, keystores: { dir: "keys", passwordFile: "nope.txt" } })),
    );
    expect(e.message).toMatch(/^\/keystores\/passwordFile: cannot read/);
    e = await failure(loadNodeConfig(write("{ not json")));
    expect(e.message).toMatch(/^not JSON: /);
  });

  it("reports a wrong password without the password", async () => {
    writeFileSync(join(dir, "bad-password.txt"), "hunter2-wrong\n");
    let e = await failure(
      loadNodeConfig(write({ ...base, keystores: { dir: "keys", passwordFile: "bad-password.txt" } })),
    );
    expect(e.code).toBe(ConfigErrorCode.KEYSTORE);
    expect(e.message).toMatch(/^\/keystores\/dir: .*k0\.json: KEYSTORE_ERROR_WRONG_PASSWORD/);
    expect(e.message).not.toContain("hunter2");
    e = await failure(
      loadNodeConfig(write({ ...base, anchor: { ...base.anchor, passwordFile: "bad-password.txt" } })),
    );
    expect(e.message).toMatch(/^\/anchor\/keystore: .*V3_KEYSTORE_ERROR_WRONG_PASSWORD/);
  });

  it("prompts when no password file is given, and fails clearly when it cannot", async () => {
    const cfg = { ...base, keystores: { dir: "keys" } };
    const prompts: string[] = [];
    const r = await loadNodeConfig(
      write(cfg),
      {},
      {
        prompt: async (m) => {
          prompts.push(m);
          return "pw";
        },
      },
    );
    expect(r.modules.secretKeys).toHaveLength(2);
    expect(prompts).toEqual(["Keystore password: "]);
    const e = await failure(
      loadNodeConfig(write(cfg), {}, { prompt: () => Promise.reject(new Error("stdin is not a terminal")) }),
    );
    expect(e.message).toBe("/keystores/passwordFile: required: stdin is not a terminal");
  });
});
