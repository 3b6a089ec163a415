// A child process writes multi-bucket batches in a loop and is SIGKILLed at
// random moments; after every reopen each batch is entirely present or absent.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../../src/db/database.js";
import { tempDir } from "./fixtures.js";

const SRC = fileURLToPath(new URL("../../../src/db/", import.meta.url));
const BUCKETS = [1, 6, 7]; // commitments, attestations, certificates
const KEYS_PER_BUCKET = 6;
const VALUE_BYTES = 8192;
const MARKER_BUCKET = 0;

// vitest cannot run TS in a child, so the child imports the real database
// module transpiled to JS, with `level` pointed at this checkout's copy.
async function buildChild(dir: string): Promise<string> {
  const levelUrl = pathToFileURL(createRequire(import.meta.url).resolve("level")).href;
  for (const name of ["database", "keys"]) {
    const src = await readFile(join(SRC, `${name}.ts`), "utf8");
    const out = ts.transpileModule(src, {
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    }).outputText;
    await writeFile(
      join(dir, `${name}.mjs`),
      out.replaceAll('"level"', JSON.stringify(levelUrl)).replaceAll('./keys.js"', './keys.mjs"'),
    );
  }
  const child = `
import { Database } from "./database.mjs";
const [path, start] = process.argv.slice(2);
const db = new Database({ path });
await db.open();
const key = (bucket, i, j) => { const k = new Uint8Array(10); const v = new DataView(k.buffer);
  k[0] = bucket; v.setUint32(1, i); k[5] = j; return k; };
const value = new Uint8Array(${VALUE_BYTES}).fill(7);
process.stdout.write("ready\\n");
for (let i = Number(start); ; i++) {
  const ops = [];
  for (const b of ${JSON.stringify(BUCKETS)}) for (let j = 0; j < ${KEYS_PER_BUCKET}; j++)
    ops.push({ type: "put", key: key(b, i, j), value });
  // The marker moves with each batch: exactly one may exist after any crash.
  if (i > 0) ops.push({ type: "del", key: key(${MARKER_BUCKET}, i - 1, 0) });
  ops.push({ type: "put", key: key(${MARKER_BUCKET}, i, 0), value: Uint8Array.of(1) });
  await db.batch(ops, { sync: i % 7 === 0 });
}
`;
  const file = join(dir, "writer.mjs");
  await writeFile(file, child);
  return file;
}

function runAndKill(script: string, dbPath: string, start: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, dbPath, String(start)], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const guard = setTimeout(() => p.kill("SIGKILL"), 15_000);
    p.stdout.once("data", () => setTimeout(() => p.kill("SIGKILL"), delayMs));
    p.on("exit", (_code, signal) => {
      clearTimeout(guard);
      if (signal === "SIGKILL") resolve();
      else reject(new Error(`writer exited without being killed: ${stderr}`));
    });
  });
}

describe("crash safety", () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let script: string;
  beforeAll(async () => {
    work = await tempDir("crash");
    script = await buildChild(work.path);
  });
  afterAll(async () => {
    await work.cleanup();
  });

  it("leaves every batch entirely present or absent across repeated SIGKILLs", async () => {
    const dbPath = join(work.path, "db");
    let next = 0;
    const progress: number[] = [];
    for (let round = 0; round < 6; round++) {
      await runAndKill(script, dbPath, next, 40 + Math.floor(Math.random() * 200));
      const db = new Database({ path: dbPath });
      await db.open();
      try {
        // Count keys per batch index across all buckets.
        const perBatch = new Map<number, number>();
        const markers: number[] = [];
        for await (const k of db.keys({})) {
          const i = new DataView(k.buffer, k.byteOffset).getUint32(1);
          if (k[0] === MARKER_BUCKET) markers.push(i);
          else perBatch.set(i, (perBatch.get(i) ?? 0) + 1);
        }
        const indices = [...perBatch.keys()].sort((a, b) => a - b);
        for (const i of indices) expect(perBatch.get(i), `batch ${i}`).toBe(BUCKETS.length * KEYS_PER_BUCKET);
        // Batches are written one after another, so what survived is a prefix 0..n-1.
        expect(indices).toEqual(indices.map((_, n) => n));
        expect(markers).toEqual(indices.length === 0 ? [] : [indices.length - 1]);
        next = indices.length;
        progress.push(next);
      } finally {
        await db.close();
      }
    }
    // The writer made progress, so the kills landed while batches were being written.
    expect(progress[progress.length - 1]).toBeGreaterThan(0);
    expect(new Set(progress).size).toBeGreaterThan(1);
  });
});
