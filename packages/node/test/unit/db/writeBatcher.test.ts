import { describe, expect, it } from "vitest";
import { WriteBatcher } from "../../../src/db/writeBatcher.js";
import { useTempDb } from "../signer/helpers.js";

const put = (k: number, v: number) => ({
  type: "put" as const,
  key: new Uint8Array([0xf0, k]),
  value: new Uint8Array([v]),
});

describe("WriteBatcher", () => {
  const tmp = useTempDb("wb");

  it("writes everything queued in one event-loop turn as one batch", async () => {
    const w = new WriteBatcher(tmp.db);
    await Promise.all(Array.from({ length: 50 }, (_, i) => w.write(put(i, i))));
    expect(w.batches).toBe(1);
    expect(w.written).toBe(50);
    for (const i of [0, 25, 49]) expect([...(await tmp.db.get(put(i, i).key))!]).toEqual([i]);
    await w.write(put(60, 1));
    expect(w.batches).toBe(2);
  });

  it("flushes at once when full, and drain() waits for what is queued", async () => {
    const w = new WriteBatcher(tmp.db, { maxPendingOps: 4 });
    const ps = Array.from({ length: 10 }, (_, i) => w.write(put(i, 1)));
    // two full batches left synchronously; two ops still wait for the turn's end
    expect(w.size).toBe(2);
    await w.drain();
    await Promise.all(ps);
    expect(w.batches).toBe(3);
    expect(w.written).toBe(10);
  });

  it("a failed batch rejects each of its callers and is counted; later writes still work", async () => {
    const w = new WriteBatcher(tmp.db);
    await tmp.db.close();
    const results = await Promise.allSettled([w.write(put(1, 1)), w.write(put(2, 2))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(w.failures).toBe(1);
    await tmp.reopen();
    const w2 = new WriteBatcher(tmp.db);
    await w2.write(put(3, 3));
    expect([...(await tmp.db.get(put(3, 3).key))!]).toEqual([3]);
  });
});
