// Shared fixtures for signer tests: temp LevelDB directories and sample inputs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Domain, Observation } from "@ocp/protocol";
import { afterEach, beforeEach } from "vitest";
import { Database } from "../../../src/db/database.js";

export async function tempDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `ocp-${prefix}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export async function openDb(path: string): Promise<Database> {
  const db = new Database({ path });
  await db.open();
  return db;
}

/**
 * A fresh LevelDB in its own temp directory for each test of the suite
 * (registers beforeEach/afterEach). `reopen()` opens it again, as after a restart.
 */
export function useTempDb(prefix: string): { readonly db: Database; reopen(): Promise<Database> } {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let db: Database | undefined;
  beforeEach(async () => {
    dir = await tempDir(prefix);
    db = await openDb(dir.path);
  });
  afterEach(async () => {
    if (db?.isOpen) await db.close();
    await dir?.cleanup();
  });
  return {
    get db() {
      return db!;
    },
    async reopen() {
      if (db?.isOpen) await db.close();
      db = await openDb(dir!.path);
      return db;
    },
  };
}

export const DOMAIN: Domain = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xaa) };
export const STREAM = new Uint8Array(32).fill(0x11);

export function observation(slot: bigint, digestByte = 1): Observation {
  return {
    stream: STREAM,
    slot,
    l1BlockNumber: slot,
    l1BlockHash: new Uint8Array(32).fill(0x22),
    schema: new Uint8Array(32).fill(0x33),
    tableDigest: new Uint8Array(32).fill(digestByte),
    entryCount: 3,
  };
}

/** A deterministic valid secret key (32 bytes, well below the group order). */
export function secret(i: number): Uint8Array {
  const s = new Uint8Array(32);
  s[0] = 0x01;
  s[31] = i + 1;
  return s;
}
