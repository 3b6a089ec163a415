// Whether a process still runs, for tests that check nothing was left behind.
import { readFileSync } from "node:fs";

/** True while `pid` runs; a zombie waiting to be reaped has stopped already. */
export function alive(pid: number): boolean {
  try {
    // "pid (comm) state …": state Z is a zombie.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
