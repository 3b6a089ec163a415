// `ocp keys`: verifier keys in EIP-2335 keystores, builder/anchorer accounts in
// Ethereum V3 keystores, proofs of possession, and slashing-protection
// interchange on a node's data dir. Secrets are never printed.
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { createKeystore, decryptKeystore, NodeDb, parseKeystore, SlashingProtection } from "@ocp/node";
import { type BlsSecretKey, fromHex, getBls, toHex } from "@ocp/protocol";
import type { Command } from "commander";
import { createV3Keystore, decryptV3Keystore, v3KeystoreAddress } from "../keystoreV3.js";
import { badInput, collect, failed, parseIntArg, reason } from "../util/exit.js";
import { readJsonFile, readPassword, readTextFile } from "../util/io.js";

type KeyType = "bls" | "builder";
type Kdf = "scrypt" | "pbkdf2";

/**
 * KDF cost for --insecure-fast-kdf: cheap enough for tests and devnets that
 * create many keys, far too cheap for keys that hold value.
 */
const FAST_SCRYPT_N = 1 << 4;
const FAST_PBKDF2_C = 16;

interface KdfOpts {
  kdf: string;
  insecureFastKdf?: boolean;
}

function kdfOf(opts: KdfOpts): { kdf: Kdf; scryptN?: number; pbkdf2C?: number } {
  if (opts.kdf !== "scrypt" && opts.kdf !== "pbkdf2") {
    return badInput(`--kdf: expected scrypt or pbkdf2, got ${JSON.stringify(opts.kdf)}`);
  }
  return opts.insecureFastKdf
    ? { kdf: opts.kdf, scryptN: FAST_SCRYPT_N, pbkdf2C: FAST_PBKDF2_C }
    : { kdf: opts.kdf };
}

function typeOf(t: string): KeyType {
  if (t !== "bls" && t !== "builder")
    return badInput(`--type: expected bls or builder, got ${JSON.stringify(t)}`);
  return t;
}

/** Writes a new file, refusing to overwrite: a keystore lost to a typo is a key lost. */
async function writeNew(file: string, content: string): Promise<void> {
  try {
    await writeFile(file, content, { flag: "wx", mode: 0o600 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") badInput(`${file} already exists; not overwriting`);
    failed(`cannot write ${file}: ${code ?? reason(e)}`);
  }
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    badInput(`--dir: cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? reason(e)}`);
  }
}

async function newPassword(file: string | undefined): Promise<string> {
  const pw = await readPassword(file, "--password-file", "New keystore password: ");
  if (pw === "") badInput("--password-file: the password is empty");
  return pw;
}

/** Encrypts `secret` as the key type's keystore into `dir`; returns the file and the public identity. */
async function storeKey(
  type: KeyType,
  secret: Uint8Array,
  password: string,
  dir: string,
  kdf: ReturnType<typeof kdfOf>,
): Promise<{ file: string; id: string; pop?: string }> {
  if (type === "bls") {
    const bls = getBls();
    let sk: BlsSecretKey;
    try {
      sk = bls.secretKeyFromBytes(secret);
    } catch {
      return badInput("the secret is not a valid BLS12-381 secret key");
    }
    const ks = await createKeystore(secret, password, bls, kdf);
    const pubkey = toHex(bls.publicKeyToBytes(bls.publicKey(sk)));
    const file = join(dir, `keystore-${pubkey.slice(2, 18)}.json`);
    await writeNew(file, `${JSON.stringify(ks, null, 2)}\n`);
    return { file, id: pubkey, pop: toHex(bls.popProve(sk)) };
  }
  let ks: Awaited<ReturnType<typeof createV3Keystore>>;
  try {
    ks = await createV3Keystore(secret, password, kdf);
  } catch (e) {
    return badInput(reason(e));
  }
  const file = join(dir, `builder-${ks.address.slice(0, 16)}.json`);
  await writeNew(file, `${JSON.stringify(ks, null, 2)}\n`);
  return { file, id: `0x${ks.address}` };
}

interface Listed {
  file: string;
  type: KeyType;
  /** BLS pubkey or Ethereum address. */
  id: string;
}

/** What a keystore file is, without decrypting it; undefined when it is neither kind. */
async function describeKeystore(file: string, json: unknown): Promise<Listed | undefined> {
  const address = v3KeystoreAddress(json);
  if (address) return { file, type: "builder", id: address };
  try {
    const ks = await parseKeystore(json);
    return {
      file,
      type: "bls",
      id: ks.pubkey === "" ? "(no pubkey recorded)" : `0x${ks.pubkey.replace(/^0x/, "")}`,
    };
  } catch {
    return undefined;
  }
}

async function keystoreFiles(target: string, what: string): Promise<string[]> {
  if (!existsSync(target)) badInput(`${what}: ${target} does not exist`);
  if (statSync(target).isDirectory()) {
    return (await readdir(target))
      .filter((n) => n.endsWith(".json"))
      .sort()
      .map((n) => join(target, n));
  }
  return [target];
}

/** Opens a node's database for the slashing commands; exits with a clear reason when it cannot. */
async function withDataDir<T>(dataDir: string, fn: (sp: SlashingProtection) => Promise<T>): Promise<T> {
  if (!existsSync(dataDir)) badInput(`--data-dir: ${dataDir} does not exist`);
  const db = new NodeDb({ path: dataDir });
  try {
    await db.start();
  } catch (e) {
    // LevelDB's LOCK: a running node holds the database.
    return failed(`--data-dir: cannot open the database at ${dataDir} (is the node running?): ${reason(e)}`);
  }
  try {
    return await fn(new SlashingProtection({ db: db.database }));
  } finally {
    await db.stop();
  }
}

export function registerKeys(program: Command): void {
  const keys = program
    .command("keys")
    .description("verifier (BLS, EIP-2335) and builder (Ethereum V3) keystores");

  keys
    .command("new")
    .description("generate keys into keystores; prints pubkeys (bls) or addresses (builder)")
    .requiredOption("--dir <dir>", "directory to write keystores into (created if missing)")
    .option("--type <type>", "bls (verifier) or builder (Ethereum account, also for anchorers)", "bls")
    .option("--count <n>", "how many keys", parseIntArg("--count"), 1)
    .option("--password-file <file>", "keystore password (prompted without echo when omitted on a terminal)")
    .option("--kdf <kdf>", "scrypt or pbkdf2", "scrypt")
    .option("--insecure-fast-kdf", "cheap KDF parameters: for tests and devnets only")
    .option("--json", "print one JSON line per key")
    .action(
      async (
        opts: {
          dir: string;
          type: string;
          count: number;
          passwordFile?: string;
          json?: boolean;
        } & KdfOpts,
      ) => {
        const type = typeOf(opts.type);
        const kdf = kdfOf(opts);
        if (opts.count < 1) badInput("--count: must be at least 1");
        const password = await newPassword(opts.passwordFile);
        await ensureDir(opts.dir);
        for (let i = 0; i < opts.count; i++) {
          // EIP-2333 KeyGen from 32 random bytes for BLS; a random scalar (checked by storeKey) for builders.
          const secret =
            type === "bls" ? getBls().secretKeyToBytes(getBls().keygen(randomBytes(32))) : randomBytes(32);
          const r = await storeKey(type, secret, password, opts.dir, kdf);
          secret.fill(0);
          printKey(r, type, opts.json);
        }
      },
    );

  keys
    .command("import")
    .description("import keystores (checked by decrypting) or a raw secret into a keystore directory")
    .requiredOption("--dir <dir>", "destination directory (created if missing)")
    .option("--keystore <file>", "an existing keystore to copy in (repeat)", collect, [])
    .option("--secret-file <file>", "a file holding a 0x-hex 32-byte secret key to encrypt")
    .option("--type <type>", "with --secret-file: bls or builder", "bls")
    .option("--password-file <file>", "password of the keystores (and of the new keystore)")
    .option("--kdf <kdf>", "with --secret-file: scrypt or pbkdf2", "scrypt")
    .option("--insecure-fast-kdf", "with --secret-file: cheap KDF parameters, for tests and devnets only")
    .option("--json", "print one JSON line per key")
    .action(
      async (
        opts: {
          dir: string;
          keystore: string[];
          secretFile?: string;
          type: string;
          passwordFile?: string;
          json?: boolean;
        } & KdfOpts,
      ) => {
        if (opts.keystore.length > 0 === (opts.secretFile !== undefined)) {
          badInput("give either --keystore <file> (repeatable) or --secret-file <file>");
        }
        if (opts.secretFile !== undefined) {
          const type = typeOf(opts.type);
          const kdf = kdfOf(opts);
          let secret: Uint8Array;
          try {
            secret = fromHex((await readTextFile(opts.secretFile, "--secret-file")).trim(), 32);
          } catch {
            return badInput(
              `--secret-file: ${opts.secretFile} does not hold a 0x-prefixed 32-byte hex secret`,
            );
          }
          const password = await newPassword(opts.passwordFile);
          await ensureDir(opts.dir);
          const r = await storeKey(type, secret, password, opts.dir, kdf);
          secret.fill(0);
          printKey(r, type, opts.json);
          return;
        }
        const password = await readPassword(opts.passwordFile, "--password-file", "Keystore password: ");
        const checked: { file: string; text: string; listed: Listed }[] = [];
        for (const file of opts.keystore) {
          const text = await readTextFile(file, "--keystore");
          const json = await readJsonFile(file, "--keystore");
          const listed = await describeKeystore(file, json);
          if (!listed) return badInput(`--keystore: ${file} is neither an EIP-2335 nor a V3 keystore`);
          try {
            if (listed.type === "bls") await decryptKeystore(json, password, getBls());
            else (await decryptV3Keystore(json, password)).fill(0);
          } catch (e) {
            return badInput(`--keystore: ${file}: ${reason(e)}`);
          }
          checked.push({ file, text, listed });
        }
        await ensureDir(opts.dir);
        for (const c of checked) {
          const dest = join(opts.dir, basename(c.file));
          await writeNew(dest, c.text);
          printKey({ file: dest, id: c.listed.id }, c.listed.type, opts.json);
        }
      },
    );

  keys
    .command("list")
    .description("list the keystores of a directory: file, type, pubkey or address (no password needed)")
    .requiredOption("--dir <dir>", "keystore directory")
    .option("--json", "print one JSON line per keystore")
    .action(async (opts: { dir: string; json?: boolean }) => {
      const files = await keystoreFiles(opts.dir, "--dir");
      for (const file of files) {
        const listed = await describeKeystore(file, await readJsonFile(file));
        if (!listed) {
          console.error(`warning: ${file} is not a keystore; skipped`);
          continue;
        }
        if (opts.json) console.log(JSON.stringify(listed));
        else console.log(`${listed.type.padEnd(7)} ${listed.id}  ${basename(file)}`);
      }
    });

  keys
    .command("pop")
    .description('print {"pubkey","pop"} (a verifier-set entry without weight) for BLS keystores')
    .requiredOption("--keystore <file|dir>", "an EIP-2335 keystore, or a directory of them")
    .option("--password-file <file>", "keystore password (prompted without echo when omitted on a terminal)")
    .action(async (opts: { keystore: string; passwordFile?: string }) => {
      const files = await keystoreFiles(opts.keystore, "--keystore");
      if (files.length === 0) badInput(`--keystore: no *.json keystores in ${opts.keystore}`);
      const password = await readPassword(opts.passwordFile, "--password-file", "Keystore password: ");
      const bls = getBls();
      for (const file of files) {
        const json = await readJsonFile(file, "--keystore");
        let pubkey: Uint8Array;
        let pop: Uint8Array;
        try {
          const key = await decryptKeystore(json, password, bls);
          pubkey = key.pubkey;
          pop = bls.popProve(key.secretKey);
        } catch (e) {
          return badInput(`--keystore: ${file}: ${reason(e)}`);
        }
        console.log(JSON.stringify({ pubkey: toHex(pubkey), pop: toHex(pop) }));
      }
    });

  keys
    .command("export-slashing")
    .description("export a stopped node's slashing-protection records (ocp.slashing.v1 interchange)")
    .requiredOption("--data-dir <dir>", "the node's data directory")
    .option("--out <file>", "write to this file instead of stdout")
    .option("--pubkey <0xhex>", "only this key (repeat)", collect, [])
    .action(async (opts: { dataDir: string; out?: string; pubkey: string[] }) => {
      const pubkeys = opts.pubkey.map((p, i) => {
        try {
          return fromHex(p, 48);
        } catch (e) {
          return badInput(`--pubkey[${i}]: ${reason(e)}`);
        }
      });
      const doc = await withDataDir(opts.dataDir, (sp) =>
        sp.exportInterchange(pubkeys.length > 0 ? pubkeys : undefined),
      );
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      if (opts.out === undefined) {
        process.stdout.write(text);
        return;
      }
      await writeNew(opts.out, text);
      const records = doc.data.reduce((n, d) => n + d.signed_observations.length, 0);
      console.log(`exported ${records} records of ${doc.data.length} keys to ${opts.out}`);
    });

  keys
    .command("import-slashing")
    .description("merge an interchange file into a stopped node's slashing protection (never weakens it)")
    .requiredOption("--data-dir <dir>", "the node's data directory")
    .requiredOption("--file <file>", "ocp.slashing.v1 interchange JSON")
    .option("--json", "print the result as JSON")
    .action(async (opts: { dataDir: string; file: string; json?: boolean }) => {
      const doc = await readJsonFile(opts.file, "--file");
      const result = await withDataDir(opts.dataDir, async (sp) => {
        try {
          return await sp.importInterchange(doc);
        } catch (e) {
          return badInput(`--file: ${opts.file}: ${reason(e)}`);
        }
      });
      if (opts.json) {
        console.log(JSON.stringify(result));
        return;
      }
      console.log(
        `added ${result.added}, unchanged ${result.unchanged}, conflicts ${result.conflicts.length}`,
      );
      for (const c of result.conflicts) {
        console.log(
          `conflict ${c.pubkey} stream ${c.stream} slot ${c.slot}: ${c.existingRoot} vs ${c.importedRoot}`,
        );
      }
    });
}

function printKey(
  r: { file: string; id: string; pop?: string },
  type: KeyType,
  json: boolean | undefined,
): void {
  if (json) {
    console.log(
      JSON.stringify(
        type === "bls"
          ? { pubkey: r.id, ...(r.pop ? { pop: r.pop } : {}), file: r.file }
          : { address: r.id, file: r.file },
      ),
    );
  } else {
    console.log(`${r.id}  ${r.file}`);
  }
}
