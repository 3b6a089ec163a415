// Entry point of the `ocp` binary.
import { run } from "./program.js";

process.exitCode = await run(process.argv.slice(2));
