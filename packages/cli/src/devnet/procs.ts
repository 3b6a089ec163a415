// Child processes of a devnet: each runs in its own process group so that it
// and anything it spawns can be stopped together — SIGTERM, then SIGKILL
// after a grace period — on Ctrl-C, at the end of the run, or on an error.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the first stdout line that parses as JSON and passes `pred`. */
  waitForJson<T>(pred: (v: unknown) => v is T, timeoutMs: number): Promise<T>;
  /** Last lines of stderr, for error messages. */
  tail(): string;
  readonly exited: Promise<number | null>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals, leaderToo = true): void {
  try {
    process.kill(-pid, signal);
  } catch {
    if (!leaderToo) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export class ProcessManager {
  private readonly procs: ManagedProcess[] = [];
  private readonly extraPids: number[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly graceMs = 5000) {
    // Last resort if the parent exits without stopping: the groups get SIGKILL.
    process.once("exit", () => {
      for (const pid of this.pids()) signalGroup(pid, "SIGKILL");
    });
  }

  /** Every pid started (including ones adopted with `track`). */
  pids(): number[] {
    return [...this.procs.map((p) => p.pid), ...this.extraPids];
  }

  /** A process started elsewhere (anvil) that must also be gone at the end. */
  track(pid: number): void {
    if (pid > 0) this.extraPids.push(pid);
  }

  spawn(
    name: string,
    command: string,
    args: string[],
    opts: { cwd?: string; logFile?: number; env?: Readonly<Record<string, string>> } = {},
  ): ManagedProcess {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      detached: true,
      stdio: ["ignore", "pipe", opts.logFile ?? "pipe"],
      env: opts.env === undefined ? process.env : { ...process.env, ...opts.env },
    });
    if (child.pid === undefined) throw new Error(`cannot start ${name}`);
    const pid = child.pid;
    const lines: string[] = [];
    const errLines: string[] = [];
    const waiters: ((v: unknown) => boolean)[] = [];
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        return;
      }
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!(v)) waiters.splice(i, 1);
    });
    if (child.stderr)
      createInterface({ input: child.stderr }).on("line", (l) => {
        errLines.push(l);
        if (errLines.length > 40) errLines.shift();
      });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const proc: ManagedProcess = {
      name,
      pid,
      child,
      exited,
      tail: () => errLines.join("\n"),
      waitForJson<T>(pred: (v: unknown) => v is T, timeoutMs: number): Promise<T> {
        for (const l of lines) {
          const v = JSON.parse(l) as unknown;
          if (pred(v)) return Promise.resolve(v);
        }
        return new Promise<T>((resolve, reject) => {
          const timer = setTimeout(() => {
            done();
            reject(new Error(`${name} did not start within ${timeoutMs} ms\n${proc.tail()}`));
          }, timeoutMs);
          const onExit = (code: number | null): void => {
            done();
            reject(new Error(`${name} exited with code ${code}\n${proc.tail()}`));
          };
          const waiter = (v: unknown): boolean => {
            if (!pred(v)) return false;
            done();
            resolve(v);
            return true;
          };
          const done = (): void => {
            clearTimeout(timer);
            child.off("exit", onExit);
            const i = waiters.indexOf(waiter);
            if (i >= 0) waiters.splice(i, 1);
          };
          child.once("exit", onExit);
          waiters.push(waiter);
        });
      },
    };
    this.procs.push(proc);
    return proc;
  }

  /** Stops every process group: SIGTERM, SIGKILL after the grace period. Idempotent. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      const running = this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
      for (const p of running) signalGroup(p.pid, "SIGTERM");
      await Promise.all(
        running.map(async (p) => {
          const timer = setTimeout(() => signalGroup(p.pid, "SIGKILL"), this.graceMs);
          await p.exited;
          clearTimeout(timer);
          // Whatever the process left in its group goes too.
          signalGroup(p.pid, "SIGKILL", false);
        }),
      );
      for (const pid of this.extraPids) if (alive(pid)) process.kill(pid, "SIGKILL");
    })();
    return this.stopping;
  }
}

export { alive as isPidAlive };
