// Rewrites the README's node.json table from the config schema (run after a build).
import { readFileSync, writeFileSync } from "node:fs";
import { withConfigTable } from "../lib/configDocs.js";

const file = new URL("../../../README.md", import.meta.url);
const before = readFileSync(file, "utf8");
const after = withConfigTable(before);
if (after !== before) writeFileSync(file, after);
console.log(after === before ? "README config table up to date" : "README config table rewritten");
