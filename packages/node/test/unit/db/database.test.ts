import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../../../test/utils/wait.js";
import { Database } from "../../../src/db/database.js";
import { tempDir } from "./fixtures.js";

describe("Database", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  /** Writes `bytes` of random values in 64 KiB batches; returns the table files LevelDB wrote out. */
  async function tablesAfterWriting(
    bytes: number,
    writeBufferBytes?: number,
  ): Promise<() => Promise<string[]>> {
    const dir = await tempDir("db");
    const db = new Database({ path: dir.path, ...(writeBufferBytes ? { writeBufferBytes } : {}) });
    cleanups.push(async () => {
      await db.close();
      await dir.cleanup();
    });
    await db.open();
    for (let done = 0, k = 0; done < bytes; done += 64 * 1024) {
      const ops = Array.from({ length: 64 }, () => ({
        type: "put" as const,
        key: new Uint8Array([0xf0, k >> 8, k++ & 0xff]),
        value: randomBytes(1024),
      }));
      await db.batch(ops);
    }
    return async () => (await readdir(dir.path)).filter((f) => f.endsWith(".ldb"));
  }

  it("holds at most writeBufferBytes (default 1 MiB) of recent writes in memory before writing a table", async () => {
    // 1.5 MiB: over the 1 MiB default, so a table is written out.
    const small = await tablesAfterWriting(1.5 * 2 ** 20);
    expect(await waitFor(async () => (await small()).length > 0, 10_000, "a table file")).toBe(true);
    // LevelDB's own default (4 MiB) keeps the same writes in its memtable.
    const large = await tablesAfterWriting(1.5 * 2 ** 20, 4 * 2 ** 20);
    expect(await large()).toEqual([]);
  });
});
