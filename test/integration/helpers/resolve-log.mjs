// Module-resolution hook (node:module register()): appends every resolved URL
// and its importer ("<url> <parentURL>") to the file given at registration,
// one per line, so a test can see which packages a process loaded and why.
import { appendFileSync } from "node:fs";

let logFile;

export function initialize(data) {
  logFile = data.logFile;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(logFile, `${resolved.url} ${context.parentURL ?? "-"}\n`);
  return resolved;
}
