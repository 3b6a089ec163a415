// Entry point of the `ocp` binary.
import { run } from "./program.js";

process.exitCode = await run(process.argv.slice(2));
// A library handle left open (a socket in TIME_WAIT, a timer) must not keep a
// finished command alive; the unref'd timer only fires if something lingers.
setTimeout(() => process.exit(), 3000).unref();
