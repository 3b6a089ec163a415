// docs/operator.md runs as written: its `ocp` commands (paths taken relative
// to a scratch directory standing for the node's directory) succeed, and its
// node.json passes the config loader. `ocp node start --config … --json` is
// what every devnet node runs (devnet/network.ts), so it is not repeated here.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { NodeDb, SlashingProtection } from "@ocp/node";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadNodeConfig } from "../src/config.js";
import { EXIT_OK, run } from "../src/program.js";

const doc = readFileSync(new URL("../../../docs/operator.md", import.meta.url), "utf8");
const blocks = (lang: string): string[] =>
  [...doc.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!);
const ocpLines = blocks("sh")
  .flatMap((b) => b.split("\n"))
  .map((l) => l.trim())
  .filter((l) => l.startsWith("ocp "));

const dir = mkdtempSync(join(tmpdir(), "ocp-operator-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "password.txt"), "operator password\n");

const PATH_FLAGS = new Set([
  "--dir",
  "--password-file",
  "--keystore",
  "--data-dir",
  "--out",
  "--file",
  "--config",
]);
/** The doc's command as argv, its relative paths under the scratch directory. */
function argv(line: string): string[] {
  const words = line.split(/\s+/).slice(1);
  return words.map((w, i) => (i > 0 && PATH_FLAGS.has(words[i - 1]!) && !isAbsolute(w) ? join(dir, w) : w));
}
const runLine = async (prefix: string): Promise<number> => {
  const line = ocpLines.find((l) => l.startsWith(prefix));
  expect(line, prefix).toBeDefined();
  return run(argv(line!));
};

let out: string[];
beforeEach(() => {
  out = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

describe("docs/operator.md", () => {
  it("lists the commands this test runs", () => {
    expect(ocpLines).toEqual([
      "ocp keys new --dir keystores --count 1 --password-file password.txt",
      "ocp keys pop --keystore keystores --password-file password.txt",
      "ocp keys new --type builder --dir anchor --password-file password.txt",
      "ocp keys list --dir anchor",
      "ocp node start --config node.json --json",
      "ocp keys export-slashing --data-dir data --out slashing-backup.json",
      "ocp keys import-slashing --data-dir data --file slashing-backup.json",
    ]);
  });

  it("makes the keys, and its node.json loads with them", async () => {
    expect(await runLine("ocp keys new --dir keystores")).toBe(EXIT_OK);
    expect(await runLine("ocp keys pop")).toBe(EXIT_OK);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ pubkey: expect.stringMatching(/^0x[0-9a-f]{96}$/) });
    expect(await runLine("ocp keys new --type builder")).toBe(EXIT_OK);
    expect(await runLine("ocp keys list --dir anchor")).toBe(EXIT_OK);
    const [anchorFile] = readdirSync(join(dir, "anchor"));
    expect(out.join("\n")).toContain(anchorFile!);

    const [json] = blocks("json");
    const cfg = JSON.parse(json!);
    // The doc names the file `keys new` printed; here it is this run's.
    cfg.anchor.keystore = `anchor/${anchorFile}`;
    writeFileSync(join(dir, "node.json"), JSON.stringify(cfg));
    const r = await loadNodeConfig(join(dir, "node.json"));
    expect(r.modules.secretKeys).toHaveLength(1);
    expect(r.modules.anchorPrivateKey).toMatch(/^0x[0-9a-f]{64}$/);
    expect(r.options.l1.agreement).toBe(2);
    expect(r.options.network?.bootstrapPeers).toHaveLength(2);
    expect(r.options.readiness).toEqual({ minPeers: 3 });
    expect(r.options.api).toEqual({ host: "127.0.0.1", port: 5052 });
  });

  it("backs up slashing protection from a stopped node and restores it into a new data directory", async () => {
    const data = join(dir, "data");
    const db = new NodeDb({ path: data });
    await db.start();
    const key = {
      pubkey: new Uint8Array(48).fill(7),
      domain: { chainId: 17000, verifyingContract: new Uint8Array(20).fill(1) },
      stream: new Uint8Array(32).fill(2),
      slot: 42n,
    };
    await new SlashingProtection({ db: db.database }).checkAndRecord(key, new Uint8Array(32).fill(3));
    await db.stop();

    expect(await runLine("ocp keys export-slashing")).toBe(EXIT_OK);
    expect(existsSync(join(dir, "slashing-backup.json"))).toBe(true);
    rmSync(data, { recursive: true });
    // The doc's `mkdir -p data` on the new host.
    mkdirSync(data);
    expect(await runLine("ocp keys import-slashing")).toBe(EXIT_OK);

    const restored = new NodeDb({ path: data });
    await restored.start();
    try {
      const sp = new SlashingProtection({ db: restored.database });
      // The same slot with another root is refused: the record came back.
      await expect(sp.checkAndRecord(key, new Uint8Array(32).fill(4))).rejects.toThrow();
    } finally {
      await restored.stop();
    }
  });
});
