// `npm run torture`: SIGKILLs a signing verifier at random points — during
// startup, while it signs, and right as it writes its slashing-protection
// record — while the chain reorganises under it (anvil snapshots: the same
// slot gets a different table after each kill, so a verifier that lost its
// record would sign a second root). An independent observer process collects
// every attestation on the wire; a double signature is one key, one slot, two
// roots. Writes torture.kills, torture.kills.<phase>, torture.slots and
// torture.double_signs (must be 0) into bench/results/latest.json.
// Flags: --kills N (default 100), --seed N; --control deletes the verifier's
// database after each kill (slashing protection lost) to show that the
// observer does catch the double signatures that follow; nothing is written then.
import "@ocp/node/polyfill";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ExecutionTable } from "@ocp/contracts";
import { NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS } from "@ocp/node";
import { ANVIL_PRIVATE_KEYS, startAnvil } from "@ocp/node/devnet";
import { encodePostAndVerifyBatch, getBls, toHex, verifierSetToJson } from "@ocp/protocol";
import { createTestClient, createWalletClient, http, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
// biome-ignore lint/correctness/useImportExtensions: the shared bench helpers are .mjs files
import { makeRng, randomBatch } from "../lib/batch.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "..", "lib", "torture-child.mjs");
const OBSERVER = join(here, "..", "lib", "torture-observer.mjs");
const NETWORK = "torture";
const PHASES = ["startup", "signing", "protection-write"];

const { values: args } = parseArgs({
  options: {
    kills: { type: "string", default: "100" },
    seed: { type: "string", default: "13" },
    control: { type: "boolean", default: false },
  },
});
const targetKills = Number(args.kills);
let seed = Number(args.seed) >>> 0;
/** xorshift32: the kill schedule is reproducible from --seed. */
const rand = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 2 ** 32;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Proc {
  constructor(file, cfgFile) {
    this.lines = [];
    this.listeners = new Set();
    this.proc = spawn(process.execPath, [...NODE_RUNTIME_FLAGS, file, cfgFile], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...NODE_RUNTIME_ENV },
    });
    this.exited = new Promise((r) => this.proc.once("exit", r));
    createInterface({ input: this.proc.stdout }).on("line", (l) => {
      let m;
      try {
        m = JSON.parse(l);
      } catch {
        return;
      }
      this.lines.push(m);
      for (const f of this.listeners) f(m);
    });
  }

  /** Resolves with the first line (already printed or to come) matching `pred`, or undefined after `ms`. */
  waitFor(pred, ms) {
    const found = this.lines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.listeners.delete(f);
        resolve(undefined);
      }, ms);
      const f = (m) => {
        if (!pred(m)) return;
        clearTimeout(t);
        this.listeners.delete(f);
        resolve(m);
      };
      this.listeners.add(f);
    });
  }

  /** @param {NodeJS.Signals} [signal] */
  async kill(signal = "SIGKILL") {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    await this.exited;
  }
}

const anvil = await startAnvil();
const dir = mkdtempSync(join(tmpdir(), "ocp-torture-"));
/** @type {Proc} */
let victim = /** @type {Proc} */ (/** @type {unknown} */ (undefined));
let observer;
try {
  const wallet = createWalletClient({
    account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
    chain: foundry,
    transport: http(anvil.rpcUrl),
  }).extend(publicActions);
  const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
  const h = await wallet.deployContract({ abi: ExecutionTable.abi, bytecode: ExecutionTable.bytecode });
  const table = (await wallet.waitForTransactionReceipt({ hash: h })).contractAddress;

  const bls = getBls();
  const sk = bls.keygen(crypto.getRandomValues(new Uint8Array(32)));
  const set = verifierSetToJson({
    epoch: 0n,
    activationSlot: 0n,
    quorum: { numerator: 2, denominator: 3 },
    verifiers: [{ pubkey: bls.publicKeyToBytes(bls.publicKey(sk)), weight: 1n, pop: bls.popProve(sk) }],
  });

  const observerCfg = join(dir, "observer.json");
  writeFileSync(observerCfg, JSON.stringify({ network: NETWORK, set }));
  observer = new Proc(OBSERVER, observerCfg);
  const obsStarted = await observer.waitFor((m) => m.event === "started", 30_000);
  if (!obsStarted) throw new Error("observer did not start");

  const victimCfg = join(dir, "victim.json");
  writeFileSync(
    victimCfg,
    JSON.stringify({
      options: {
        dataDir: join(dir, "victim-db"),
        network: {
          network: NETWORK,
          localNetwork: true,
          bootstrapPeers: obsStarted.addrs.slice(0, 1),
          staticPeers: obsStarted.addrs.slice(0, 1),
        },
        domain: { chainId: 31337, verifyingContract: "0x00000000000000000000000000000000000a0c4e" },
        streams: [{ name: "eez", l1ChainId: 31337, tableContract: table }],
        l1: { rpcUrls: [anvil.rpcUrl], confirmations: 1, pollIntervalMs: 50 },
        // No builder: the verifier signs its own reading of the block at once.
        proposal: { selfProposeDelayMs: 0 },
        // The same key restarts on purpose; slashing protection is what is tested.
        doppelganger: { enabled: false },
      },
      secretKey: toHex(bls.secretKeyToBytes(sk)),
      set,
    }),
  );
  const startVictim = async () => {
    victim = new Proc(CHILD, victimCfg);
    const started = await victim.waitFor((m) => m.event === "started", 60_000);
    if (!started) throw new Error("verifier did not start");
    // Connected to the observer before anything is signed (static peer).
    await sleep(300);
  };

  const rng = makeRng(Number(args.seed));
  const post = async () => {
    const hash = await wallet.sendTransaction({
      to: table,
      data: toHex(encodePostAndVerifyBatch(randomBatch(rng))),
      gas: 10_000_000n,
    });
    const r = await wallet.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error("batch reverted");
    return r.blockNumber;
  };

  const kills = Object.fromEntries(PHASES.map((p) => [p, 0]));
  const slots = new Set();
  let total = 0;
  await startVictim();
  const t0 = Date.now();
  while (total < targetKills) {
    const phase = PHASES[Math.floor(rand() * PHASES.length)];
    if (phase === "startup") {
      // Killed anywhere from process start to shortly after it is up.
      await victim.kill();
      victim = new Proc(CHILD, victimCfg);
      await sleep(rand() * 2500);
      await victim.kill();
      kills.startup++;
      total++;
      await startVictim();
      continue;
    }
    // The slot gets table X; the verifier signs it (or is killed trying) ...
    const snap = await test.snapshot();
    const slot = await post();
    slots.add(slot.toString());
    await test.mine({ blocks: 1 });
    if (phase === "signing") {
      await sleep(rand() * 400);
    } else {
      // Right as it decided: the slashing-protection write and the signature follow.
      await victim.waitFor((m) => m.event === "decision" && m.slot === slot.toString(), 5000);
      await sleep(rand() * 3);
    }
    await victim.kill();
    kills[phase]++;
    total++;
    if (args.control) rmSync(join(dir, "victim-db"), { recursive: true, force: true });
    // ... then the chain reorganises: the same slot carries table Y. A verifier
    // that forgot what it signed would sign Y too.
    await test.revert({ id: snap });
    const again = await post();
    if (again !== slot) throw new Error(`reorg landed at ${again}, not ${slot}`);
    await test.mine({ blocks: 1 });
    await startVictim();
    await victim.waitFor((m) => m.event === "decision" && m.slot === slot.toString(), 5000);
    await sleep(200);
    if (total % 10 === 0)
      console.log(`torture: ${total} kills (${JSON.stringify(kills)}), ${slots.size} slots`);
  }
  await sleep(1000);

  // One key, one slot, two roots on the wire: a double signature.
  const roots = new Map();
  for (const m of observer.lines) {
    if (m.event !== "attestation") continue;
    const key = `${m.index}:${m.slot}`;
    roots.set(key, (roots.get(key) ?? new Set()).add(m.root));
  }
  const doubleSigns = [...roots.values()].filter((s) => s.size > 1).length;
  const observed = [...roots.keys()].length;
  const results = {
    "torture.kills": total,
    ...Object.fromEntries(PHASES.map((p) => [`torture.kills.${p}`, kills[p]])),
    "torture.slots": slots.size,
    "torture.slots_observed_signed": observed,
    "torture.double_signs": doubleSigns,
    "torture.seconds": Math.round((Date.now() - t0) / 1000),
  };
  console.log(JSON.stringify(results, null, 2));
  if (args.control) {
    console.log(
      `torture --control: ${doubleSigns} double signatures caught with slashing protection deleted`,
    );
    // The harness works only if it catches them; nothing is written.
    process.exitCode = doubleSigns > 0 ? 0 : 1;
  } else {
    const outFile = join(here, "..", "results", "latest.json");
    let latest = {};
    try {
      latest = JSON.parse(readFileSync(outFile, "utf8"));
    } catch {
      latest = {};
    }
    Object.assign(latest, results);
    const sorted = Object.fromEntries(Object.entries(latest).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(outFile, `${JSON.stringify(sorted, null, 2)}\n`);
    console.log(`torture: wrote ${outFile}`);
    if (doubleSigns > 0) process.exitCode = 1;
  }
} finally {
  await victim?.kill();
  await observer?.kill("SIGTERM");
  await anvil.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
