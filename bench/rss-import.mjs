// One-off memory probe: imports the modules named on the command line (in
// order, each after a gc) and prints the process RSS / heap after each, in MB.
// `node --expose-gc bench/rss-import.mjs @ocp/node viem fastify` (needs the build).
const mb = (n) => Math.round((n / 2 ** 20) * 10) / 10;
const snap = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed) };
};
const rows = [{ module: "(bare node)", ...snap() }];
for (const spec of process.argv.slice(2)) {
  await import(spec);
  rows.push({ module: spec, ...snap() });
}
for (const r of rows) console.log(JSON.stringify(r));
