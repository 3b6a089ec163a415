// Starts anvil from the @foundry-rs/anvil npm package on a free loopback port
// and guarantees it is stopped: used by tests, benchmarks and `ocp devnet`.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface AnvilOptions {
  /** Extra CLI flags, e.g. ["--block-time", "1"]. */
  args?: string[];
  /** Enforce EIP-7825's per-transaction gas cap. @default true */
  enableTxGasLimit?: boolean;
  /** @default 30_000 */
  startTimeoutMs?: number;
  chainId?: number;
}

export interface Anvil {
  readonly rpcUrl: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Default anvil dev accounts (mnemonic "test test ... junk"), index 0..9. */
export const ANVIL_PRIVATE_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
] as const;

export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  return join(dirname(require.resolve(`${pkg}/package.json`)), "bin", "anvil");
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: never leave an anvil behind when the parent exits.
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export async function startAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  // Port 0: anvil picks a free port and prints it in its banner.
  const args = ["--host", "127.0.0.1", "--port", "0"];
  if (opts.enableTxGasLimit ?? true) args.push("--enable-tx-gas-limit");
  if (opts.chainId !== undefined) args.push("--chain-id", String(opts.chainId));
  args.push(...(opts.args ?? []));

  // Its own process group: a terminal's Ctrl-C reaches the parent, which stops
  // what runs on anvil first and anvil last (the exit hook below is the backstop).
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  live.add(child);
  installExitHook();

  const port = await new Promise<number>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`anvil did not start within ${opts.startTimeoutMs ?? 30_000} ms`));
    }, opts.startTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("utf8");
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        // Keep draining so a full pipe never blocks anvil.
        child.stdout?.resume();
        resolve(Number(m[1]));
      } else if (buffered.length > 1 << 16) {
        buffered = buffered.slice(-4096);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => {
      buffered += c.toString("utf8");
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`anvil exited early with code ${code}: ${buffered.slice(-2000)}`));
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });

  let stopped: Promise<void> | undefined;
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop(): Promise<void> {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          live.delete(child);
          resolve();
          return;
        }
        const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => {
          clearTimeout(kill);
          live.delete(child);
          resolve();
        });
        child.kill("SIGTERM");
      });
      return stopped;
    },
  };
}
