// Entry point of the `ocp` binary.
import { run } from "./program.ts";

process.exitCode = await run(process.argv.slice(2));
