// A full garbage collection from inside a test, without starting node with --expose-gc.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** V8's gc(), made available at run time. */
export function gcHandle(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
