import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKeystore } from "@ocp/node";
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
    expect(e.message).toContain("config readiness.minPeers: expected an integer");
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
    [{ ...base, l1: { ...base.l1, rpcUrls: ["ws://x"] } }, "config l1.rpcUrls[0]: expected an http(s) URL"],
    [{ ...base, l1: { ...base.l1, wsUrl: "http://x" } }, "config l1.wsUrl: expected a ws(s) URL"],
    [{ ...base, extra: 1 }, "config extra: unknown field"],
    [
      { ...base, domain: { ...base.domain, verifyingContract: "0x12" } },
      "config domain.verifyingContract: expected",
    ],
    [{ ...base, streams: [] }, "config streams: expected at least 1 item"],
    [{ ...base, l1: { ...base.l1, agreement: 2 } }, "config l1.agreement: expected an integer in [1, 1]"],
    [
      { ...base, network: { bootstrapPeers: ["/ip4/1.2.3.4/tcp/1"] } },
      "config network.bootstrapPeers[0]: expected a multiaddr ending in /p2p/",
    ],
    [{ ...base, api: { port: 70000 } }, "config api.port: expected an integer in [0, 65535]"],
    [{ ...base, anchor: { ...base.anchor, index: 2 } }, "config anchor.index: expected an integer in [0, 1]"],
    [{ ...base, l1: { ...base.l1, slots: { mode: "wall-clock" } } }, "config l1.slots.mode"],
    [{ ...base, dataDir: undefined }, "config dataDir: expected a non-empty string"],
    [
      { ...base, anchor: { ...base.anchor, retryMinMs: 5000, retryMaxMs: 1000 } },
      "config anchor.retryMaxMs: must not be below anchor.retryMinMs",
    ],
    [{ ...base, anchor: { ...base.anchor, horizonSlots: 0 } }, "config anchor.horizonSlots"],
    [
      { ...base, chain: { validation: { builderAllowlist: ["0x12"] } } },
      "config chain.validation.builderAllowlist: expected an array of 0x-prefixed 20-byte addresses",
    ],
    [
      { ...base, setsFromAnchor: { rpcUrl: "http://x", minRefreshIntervalMs: -1 } },
      "config setsFromAnchor.minRefreshIntervalMs",
    ],
  ])("names the field of a bad value (%#)", async (cfg, message) => {
    const e = await failure(loadNodeConfig(write(cfg)));
    expect(e.code).toBe(ConfigErrorCode.INVALID);
    expect(e.message).toContain(message);
  });

  it("names missing files and does not parse broken JSON", async () => {
    let e = await failure(loadNodeConfig(join(dir, "nope.json")));
    expect(e.code).toBe(ConfigErrorCode.UNREADABLE);
    expect(e.message).toMatch(/nope\.json: ENOENT/);
    e = await failure(loadNodeConfig(write({ ...base, verifierSets: ["missing-set.json"] })));
    expect(e.message).toMatch(/^config verifierSets\[0\]: cannot read .*missing-set\.json: ENOENT/);
    e = await failure(
      loadNodeConfig(write({ ...base, keystores: { dir: "keys", passwordFile: "nope.txt" } })),
    );
    expect(e.message).toMatch(/^config keystores\.passwordFile: cannot read/);
    e = await failure(loadNodeConfig(write("{ not json")));
    expect(e.message).toMatch(/^config file: /);
  });

  it("reports a wrong password without the password", async () => {
    writeFileSync(join(dir, "bad-password.txt"), "hunter2-wrong\n");
    let e = await failure(
      loadNodeConfig(write({ ...base, keystores: { dir: "keys", passwordFile: "bad-password.txt" } })),
    );
    expect(e.code).toBe(ConfigErrorCode.KEYSTORE);
    expect(e.message).toMatch(/^config keystores\.dir: .*k0\.json: KEYSTORE_ERROR_WRONG_PASSWORD/);
    expect(e.message).not.toContain("hunter2");
    e = await failure(
      loadNodeConfig(write({ ...base, anchor: { ...base.anchor, passwordFile: "bad-password.txt" } })),
    );
    expect(e.message).toMatch(/^config anchor\.keystore: .*V3_KEYSTORE_ERROR_WRONG_PASSWORD/);
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
    expect(e.message).toBe("config keystores.passwordFile: required: stdin is not a terminal");
  });
});
