// `ocp node start`: loads node.json (flags override it), runs an OcpNode until
// SIGINT/SIGTERM, then stops it gracefully. Logs go to stderr, facts to stdout.
import { applyRuntimeV8Flags, OcpNode } from "@ocp/node";
import type { Command } from "commander";
import { pino } from "pino";
import { ConfigError, loadNodeConfig } from "../config.js";
import { badInput, collect, failed, parseIntArg, reason } from "../util/exit.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

interface StartOpts {
  config: string;
  dataDir?: string;
  listen: string[];
  bootstrap: string[];
  rpc: string[];
  apiPort?: number;
  apiHost?: string;
  logLevel: string;
  json?: boolean;
}

/** Resolves with the first SIGINT/SIGTERM; its handlers stay until `dispose`. */
function waitForSignal(): { signal: Promise<NodeJS.Signals>; dispose: () => void } {
  let onSignal: (s: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

async function start(opts: StartOpts): Promise<void> {
  if (!LOG_LEVELS.includes(opts.logLevel)) {
    badInput(`--log-level: expected one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(opts.logLevel)}`);
  }
  const signals = waitForSignal();
  try {
    let loaded: Awaited<ReturnType<typeof loadNodeConfig>>;
    try {
      loaded = await loadNodeConfig(opts.config, {
        ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
        listen: opts.listen,
        bootstrap: opts.bootstrap,
        rpc: opts.rpc,
        ...(opts.apiPort !== undefined ? { apiPort: opts.apiPort } : {}),
        ...(opts.apiHost !== undefined ? { apiHost: opts.apiHost } : {}),
      });
    } catch (e) {
      if (e instanceof ConfigError) return badInput(`${opts.config}: ${e.message}`);
      throw e;
    }

    const logger = pino({ level: opts.logLevel, base: { pid: process.pid } }, pino.destination(2));
    applyRuntimeV8Flags();
    let node: OcpNode;
    try {
      node = new OcpNode(loaded.options, { ...loaded.modules, logger });
      await node.start();
    } catch (e) {
      return failed(`node start: ${reason(e)}`);
    }
    const api = node.api?.url;
    if (opts.json) {
      console.log(JSON.stringify({ peerId: node.peerId, multiaddrs: node.multiaddrs, api: api ?? null }));
    } else {
      console.log(`peer id: ${node.peerId}`);
      for (const a of node.multiaddrs) console.log(`listening: ${a}`);
      console.log(`api: ${api ?? "off"}`);
      console.log(`verifier keys: ${loaded.pubkeys.length}`);
      if (loaded.anchorAddress) console.log(`anchorer: ${loaded.anchorAddress}`);
    }

    const signal = await signals.signal;
    logger.info({ signal }, "stopping");
    try {
      await node.stop();
    } catch (e) {
      return failed(`node stop: ${reason(e)}`);
    }
    logger.flush?.();
  } finally {
    signals.dispose();
  }
}

export function registerNode(program: Command): void {
  const node = program.command("node").description("run an ocp node");
  node
    .command("start")
    .description("start a node from a config file and run it until SIGINT or SIGTERM")
    .requiredOption("--config <file>", "node.json (relative paths in it resolve against its directory)")
    .option("--data-dir <dir>", "database directory (overrides dataDir)")
    .option("--listen <multiaddr>", "listen address (repeat; overrides network.listenAddrs)", collect, [])
    .option(
      "--bootstrap <multiaddr>",
      "bootstrap peer with /p2p/<id> (repeat; overrides network.bootstrapPeers)",
      collect,
      [],
    )
    .option("--rpc <url>", "L1 JSON-RPC URL (repeat; overrides l1.rpcUrls)", collect, [])
    .option(
      "--api-port <port>",
      "serve the HTTP API on this port (0: any free port)",
      parseIntArg("--api-port"),
    )
    .option("--api-host <host>", "HTTP API host (overrides api.host)")
    .option(
      "--log-level <level>",
      `log level on stderr: ${LOG_LEVELS.join(", ")}`,
      process.env.OCP_LOG_LEVEL ?? "info",
    )
    .option("--json", 'print one JSON line {"peerId","multiaddrs","api"} once started')
    .action(start);
}
