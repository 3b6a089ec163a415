// The reference runtime: the Node.js release that CI runs the whole test
// suite on and that benchmark and simulator figures are measured on
// (package.json `config.referenceNode`; `npm run bench`, `npm run sim` and
// `npm run torture` start it from the npm registry's `node` package).
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));

/** The reference Node.js version, e.g. "24.21.0". */
export const REFERENCE_NODE = pkg.config.referenceNode;

/**
 * A warning when this process runs another Node.js than the reference (figures
 * differ between runtimes: on Node 20 the 8 × 8 nodes peak ~14 MiB lower and
 * the simulator's nodes spend ~25 % more CPU per slot), or undefined.
 */
export function runtimeWarning(tool) {
  if (process.versions.node === REFERENCE_NODE) return undefined;
  return `${tool}: running on Node ${process.versions.node}; figures are measured on the reference runtime, Node ${REFERENCE_NODE} (npm run ${tool} starts it)`;
}
