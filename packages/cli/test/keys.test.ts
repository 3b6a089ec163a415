import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decryptKeystore, NodeDb, SlashingProtection } from "@ocp/node";
import { blstBls, fromHex, nobleBls, toHex } from "@ocp/protocol";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decryptV3Keystore } from "../src/keystoreV3.js";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, run } from "../src/program.js";

const dir = mkdtempSync(join(tmpdir(), "ocp-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pw = join(dir, "pw.txt");
const badPw = join(dir, "bad.txt");
writeFileSync(pw, "correct horse\n");
writeFileSync(badPw, "wrong\n");

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
});
afterEach(() => vi.restoreAllMocks());

const fast = ["--insecure-fast-kdf", "--password-file", pw];

describe("ocp keys new / list / pop", () => {
  it("creates BLS keystores whose PoPs verify under noble", async () => {
    const kdir = join(dir, "bls");
    expect(await run(["keys", "new", "--dir", kdir, "--count", "2", "--json", ...fast])).toBe(EXIT_OK);
    const made = out.map((l) => JSON.parse(l) as { pubkey: string; pop: string; file: string });
    expect(made).toHaveLength(2);
    for (const m of made) {
      const ks = JSON.parse(readFileSync(m.file, "utf8")) as { crypto: { kdf: { function: string } } };
      expect(ks.crypto.kdf.function).toBe("scrypt");
      // decrypts with the node's loader to the printed pubkey
      const key = await decryptKeystore(ks, "correct horse", blstBls);
      expect(toHex(key.pubkey)).toBe(m.pubkey);
      expect(nobleBls.popVerify(nobleBls.publicKeyFromBytes(fromHex(m.pubkey)), fromHex(m.pop))).toBe(true);
    }

    out.length = 0;
    expect(await run(["keys", "pop", "--keystore", kdir, "--password-file", pw])).toBe(EXIT_OK);
    const pops = out.map((l) => JSON.parse(l) as { pubkey: string; pop: string });
    expect(pops.map((p) => p.pubkey).sort()).toEqual(made.map((m) => m.pubkey).sort());
    for (const p of pops) expect(Object.keys(p)).toEqual(["pubkey", "pop"]);

    out.length = 0;
    expect(await run(["keys", "list", "--dir", kdir, "--json"])).toBe(EXIT_OK);
    const listed = out.map((l) => JSON.parse(l) as { type: string; id: string });
    expect(listed.map((l) => l.type)).toEqual(["bls", "bls"]);
    expect(listed.map((l) => l.id).sort()).toEqual(made.map((m) => m.pubkey).sort());
  });

  it("creates builder V3 keystores (pbkdf2) whose address matches viem's", async () => {
    const bdir = join(dir, "builder");
    expect(
      await run(["keys", "new", "--type", "builder", "--kdf", "pbkdf2", "--dir", bdir, "--json", ...fast]),
    ).toBe(EXIT_OK);
    const made = JSON.parse(out[0]!) as { address: string; file: string };
    const key = await decryptV3Keystore(readFileSync(made.file, "utf8"), "correct horse");
    expect(privateKeyToAddress(toHex(key)).toLowerCase()).toBe(made.address);
    out.length = 0;
    expect(await run(["keys", "list", "--dir", bdir])).toBe(EXIT_OK);
    expect(out[0]).toContain(made.address);
    expect(out[0]).toMatch(/^builder/);
  });

  it("exits 2 on a wrong password, a missing file, bad flags", async () => {
    const kdir = join(dir, "bls2");
    expect(await run(["keys", "new", "--dir", kdir, ...fast])).toBe(EXIT_OK);
    expect(await run(["keys", "pop", "--keystore", kdir, "--password-file", badPw])).toBe(EXIT_BAD_INPUT);
    expect(err.at(-1)).toMatch(/KEYSTORE_ERROR_WRONG_PASSWORD/);
    expect(err.join("\n")).not.toContain("wrong");
    expect(await run(["keys", "pop", "--keystore", join(dir, "missing"), "--password-file", pw])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.at(-1)).toMatch(/--keystore: .*missing does not exist/);
    expect(await run(["keys", "new", "--dir", kdir, "--password-file", join(dir, "nope.txt")])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.at(-1)).toMatch(/--password-file: cannot read .*nope\.txt: ENOENT/);
    expect(await run(["keys", "new", "--dir", kdir, "--kdf", "argon2", ...fast.slice(1)])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.at(-1)).toContain("--kdf: expected scrypt or pbkdf2");
    expect(await run(["keys", "new", "--dir", kdir, "--type", "ed25519", ...fast])).toBe(EXIT_BAD_INPUT);
  });
});

describe("ocp keys import", () => {
  it("imports a raw secret and copies checked keystores", async () => {
    const secretFile = join(dir, "secret.txt");
    const sk = blstBls.keygen(new Uint8Array(32).fill(9));
    writeFileSync(secretFile, `${toHex(blstBls.secretKeyToBytes(sk))}\n`);
    const idir = join(dir, "imported");
    expect(await run(["keys", "import", "--dir", idir, "--secret-file", secretFile, "--json", ...fast])).toBe(
      EXIT_OK,
    );
    const expected = toHex(blstBls.publicKeyToBytes(blstBls.publicKey(sk)));
    expect((JSON.parse(out[0]!) as { pubkey: string }).pubkey).toBe(expected);
    expect(out.join("\n")).not.toContain(toHex(blstBls.secretKeyToBytes(sk)).slice(2));

    const file = join(idir, readdirSync(idir)[0]!);
    const copy = join(dir, "copy");
    expect(await run(["keys", "import", "--dir", copy, "--keystore", file, "--password-file", badPw])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(existsSync(copy)).toBe(false);
    expect(await run(["keys", "import", "--dir", copy, "--keystore", file, "--password-file", pw])).toBe(
      EXIT_OK,
    );
    expect(readdirSync(copy)).toHaveLength(1);
    // never overwrites
    expect(await run(["keys", "import", "--dir", copy, "--keystore", file, "--password-file", pw])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.at(-1)).toContain("already exists");
  });
});

describe("ocp keys export-slashing / import-slashing", () => {
  const pubkey = new Uint8Array(48).fill(0xaa);
  const key = (slot: bigint) => ({
    pubkey,
    domain: { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xcc) },
    stream: new Uint8Array(32).fill(1),
    slot,
  });

  it("exports records and imports them into another data dir; conflicts are reported", async () => {
    const a = join(dir, "node-a");
    const dbA = new NodeDb({ path: a });
    await dbA.start();
    const spA = new SlashingProtection({ db: dbA.database });
    await spA.checkAndRecord(key(5n), new Uint8Array(32).fill(5));
    await spA.checkAndRecord(key(6n), new Uint8Array(32).fill(6));
    // the database is locked while open
    expect(await run(["keys", "export-slashing", "--data-dir", a])).toBe(EXIT_FAILED);
    expect(err.at(-1)).toMatch(/is the node running\?/);
    await dbA.stop();

    const file = join(dir, "interchange.json");
    expect(await run(["keys", "export-slashing", "--data-dir", a, "--out", file])).toBe(EXIT_OK);
    const doc = JSON.parse(readFileSync(file, "utf8")) as {
      data: { pubkey: string; signed_observations: { slot: string }[] }[];
    };
    expect(doc.data).toHaveLength(1);
    expect(doc.data[0]!.pubkey).toBe(toHex(pubkey));
    expect(doc.data[0]!.signed_observations.map((o) => o.slot)).toEqual(["5", "6"]);

    const b = join(dir, "node-b");
    const dbB = new NodeDb({ path: b });
    await dbB.start();
    await new SlashingProtection({ db: dbB.database }).checkAndRecord(key(6n), new Uint8Array(32).fill(0x66));
    await dbB.stop();
    out.length = 0;
    expect(await run(["keys", "import-slashing", "--data-dir", b, "--file", file, "--json"])).toBe(EXIT_OK);
    const result = JSON.parse(out[0]!) as { added: number; unchanged: number; conflicts: { slot: string }[] };
    expect(result.added).toBe(1);
    expect(result.conflicts.map((c) => c.slot)).toEqual(["6"]);

    const dbCheck = new NodeDb({ path: b });
    await dbCheck.start();
    const sp = new SlashingProtection({ db: dbCheck.database });
    await expect(sp.checkAndRecord(key(5n), new Uint8Array(32).fill(0x55))).rejects.toThrow(/DOUBLE_SIGN/);
    await expect(sp.checkAndRecord(key(6n), new Uint8Array(32).fill(6))).rejects.toThrow(/CONFLICTED/);
    await dbCheck.stop();
  });

  it("exits 2 for a missing data dir or an invalid interchange file", async () => {
    expect(await run(["keys", "export-slashing", "--data-dir", join(dir, "no-such-dir")])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.at(-1)).toMatch(/--data-dir: .*no-such-dir does not exist/);
    const bad = join(dir, "bad-interchange.json");
    writeFileSync(bad, JSON.stringify({ metadata: { interchange_format: "eip-3076" }, data: [] }));
    const c = join(dir, "node-c");
    const db = new NodeDb({ path: c });
    await db.start();
    await db.stop();
    expect(await run(["keys", "import-slashing", "--data-dir", c, "--file", bad])).toBe(EXIT_BAD_INPUT);
    expect(err.at(-1)).toMatch(/--file: .*bad-interchange\.json: SLASHING_ERROR_INVALID_INTERCHANGE/);
  });
});
