#!/usr/bin/env node
// Example program for the node's `exec` checker: reads the slot's table as
// JSON on stdin (shape: ExecInputJson in src/checkers/exec.ts) and exits 0 if
// every batch carries at least one ExecutionEntry and the counts add up,
// 1 (with the reason on stderr) otherwise, 2 if the input is not what it expects.
//
//   checkers: { exec: { command: "node", args: ["packages/node/examples/exec-check.mjs"] } }

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

function fail(code, why) {
  process.stderr.write(`exec-check: ${why}\n`);
  process.exit(code);
}

let table;
try {
  table = JSON.parse(await readStdin());
} catch (e) {
  fail(2, `stdin is not JSON: ${e.message}`);
}
if (table?.version !== 1 || !Array.isArray(table.batches)) fail(2, "unexpected input shape");
if (process.env.OCP_SLOT !== table.slot) fail(2, `OCP_SLOT ${process.env.OCP_SLOT} ≠ slot ${table.slot}`);
if (table.batches.length === 0) fail(1, "the table has no batch");

let total = 0;
for (const [i, b] of table.batches.entries()) {
  const entries = b.decoded?.entries;
  if (!Array.isArray(entries)) fail(2, `batch ${i} has no decoded entries`);
  if (entries.length === 0) fail(1, `batch ${i} has no ExecutionEntry`);
  if (entries.length !== b.entryHashes.length || entries.length !== b.entryCount) {
    fail(
      1,
      `batch ${i}: ${entries.length} entries, ${b.entryHashes.length} entry hashes, entryCount ${b.entryCount}`,
    );
  }
  total += entries.length;
}
if (total !== table.entryCount)
  fail(1, `entries add up to ${total}, the observation says ${table.entryCount}`);
process.stdout.write(`exec-check: ${table.batches.length} batches, ${total} entries ok\n`);
