// `node.json`: the node's config file, validated field by field into
// NodeOptionsInput plus the decrypted keys; relative paths resolve against the
// file's directory, flags override the file. Secrets never enter a message.
import { readdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import {
  type ApiOptions,
  decryptKeystore,
  type L1Options,
  type NodeAnchorOptions,
  type NodeOptionsInput,
  type SlotMapping,
  type StreamOptions,
} from "@ocp/node";
import {
  addressFromPrivateKey,
  type BlsBackend,
  type BlsSecretKey,
  getBls,
  ProtocolError,
  parseJsonText,
  parseVerifierSetJson,
  toHex,
  type VerifierSetData,
} from "@ocp/protocol";
import { decryptV3Keystore } from "./keystoreV3.js";
import { promptPassword, secretFromText } from "./util/io.js";

export enum ConfigErrorCode {
  /** A field is missing, unknown or has a wrong value. */
  INVALID = "CONFIG_ERROR_INVALID",
  /** A file the config names cannot be read. */
  UNREADABLE = "CONFIG_ERROR_UNREADABLE",
  /** A keystore does not decrypt (wrong password, corrupt file). */
  KEYSTORE = "CONFIG_ERROR_KEYSTORE",
}

/** `config <field>: <reason>` — the field path says where, the reason what. */
export class ConfigError extends ProtocolError<ConfigErrorCode> {
  constructor(
    code: ConfigErrorCode,
    readonly field: string,
    reason: string,
  ) {
    super(code, `${field}: ${reason}`);
    this.name = "ConfigError";
    this.message = `config ${field}: ${reason}`;
  }
}

/** Flags of `ocp node start` that override the file. */
export interface NodeConfigOverrides {
  /** Resolved against the working directory, not the config's. */
  dataDir?: string;
  listen?: string[];
  bootstrap?: string[];
  rpc?: string[];
  apiPort?: number;
  apiHost?: string;
}

export interface LoadedNodeConfig {
  options: NodeOptionsInput;
  modules: { secretKeys: BlsSecretKey[]; anchorPrivateKey?: `0x${string}` };
  /** Pubkeys of the loaded verifier keys, in keystore-name order. */
  pubkeys: `0x${string}`[];
  /** Address of the anchorer account, when one is configured. */
  anchorAddress?: `0x${string}`;
}

export interface LoadNodeConfigModules {
  bls?: BlsBackend;
  /** Asks for a password when no password file is configured; default: a no-echo TTY prompt. */
  prompt?: (message: string) => Promise<string>;
}

const TOP_LEVEL_KEYS = [
  "dataDir",
  "network",
  "domain",
  "streams",
  "l1",
  "verifierSets",
  "keystores",
  "anchor",
  "api",
  "proposal",
  "doppelganger",
  "sync",
  "readiness",
  "retention",
  "chain",
  "checkers",
  "setsFromAnchor",
  "metrics",
] as const;

type Obj = Record<string, unknown>;

function invalid(field: string, reason: string): never {
  throw new ConfigError(ConfigErrorCode.INVALID, field, reason);
}

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function object(v: unknown, field: string, keys: readonly string[]): Obj {
  if (!isObject(v)) invalid(field, "expected an object");
  for (const k of Object.keys(v)) {
    if (!keys.includes(k)) invalid(join(field, k), `unknown field (known: ${keys.join(", ")})`);
  }
  return v;
}

const join = (field: string, key: string): string => (field === "" ? key : `${field}.${key}`);

function str(v: unknown, field: string): string {
  if (typeof v !== "string" || v === "") invalid(field, "expected a non-empty string");
  return v;
}

function int(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    invalid(field, `expected an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? "2^53-1" : max}]`);
  }
  return v;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== "boolean") invalid(field, "expected true or false");
  return v;
}

function address(v: unknown, field: string): `0x${string}` {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v))
    invalid(field, "expected a 0x-prefixed 20-byte address");
  return v.toLowerCase() as `0x${string}`;
}

function url(v: unknown, field: string, protocols: string[], what: string): string {
  if (typeof v === "string") {
    try {
      if (protocols.includes(new URL(v).protocol)) return v;
    } catch {
      // falls through to the error below
    }
  }
  return invalid(field, `expected ${what}`);
}

function httpUrl(v: unknown, field: string): string {
  return url(v, field, ["http:", "https:"], "an http(s) URL");
}

function array(v: unknown, field: string, minLength = 0): unknown[] {
  if (!Array.isArray(v)) invalid(field, "expected an array");
  if (v.length < minLength)
    invalid(field, `expected at least ${minLength} item${minLength === 1 ? "" : "s"}`);
  return v;
}

function multiaddrs(v: unknown, field: string, needPeerId: boolean): string[] {
  return array(v, field).map((a, i) => {
    const f = `${field}[${i}]`;
    if (typeof a !== "string" || !a.startsWith("/"))
      invalid(f, "expected a multiaddr such as /ip4/127.0.0.1/tcp/9000");
    if (needPeerId && !a.includes("/p2p/")) invalid(f, "expected a multiaddr ending in /p2p/<peer id>");
    return a;
  });
}

/** Options objects of other domains: plain JSON objects whose leaves are numbers, booleans or strings. */
function plainOptions(v: unknown, field: string, keys?: readonly string[]): Obj {
  const o = keys ? object(v, field, keys) : isObject(v) ? v : invalid(field, "expected an object");
  for (const [k, x] of Object.entries(o)) {
    const f = join(field, k);
    if (typeof x === "number") {
      if (!Number.isFinite(x) || x < 0) invalid(f, "expected a non-negative number");
    } else if (isObject(x)) {
      plainOptions(x, f);
    } else if (typeof x !== "boolean" && typeof x !== "string" && !Array.isArray(x)) {
      invalid(f, "expected a number, boolean, string, array or object");
    }
  }
  return o;
}

const NETWORK_KEYS = [
  "network",
  "listenAddrs",
  "announceAddrs",
  "bootstrapPeers",
  "staticPeers",
  "peerExchange",
  "localNetwork",
  "maxConnections",
  "dialTimeoutMs",
  "pingIntervalMs",
  "pingTimeoutMs",
  "staticPeerRedialMinMs",
  "staticPeerRedialMaxMs",
  "statusAttempts",
  "banDurationMs",
  "gossip",
  "reqResp",
  "scoring",
] as const;

function networkOptions(v: unknown): NonNullable<NodeOptionsInput["network"]> {
  const o = object(v, "network", NETWORK_KEYS);
  const out: Obj = {};
  for (const [k, x] of Object.entries(o)) {
    const f = `network.${k}`;
    switch (k) {
      case "network":
        out[k] = str(x, f);
        break;
      case "listenAddrs":
      case "announceAddrs":
        out[k] = multiaddrs(x, f, false);
        break;
      case "bootstrapPeers":
      case "staticPeers":
        out[k] = multiaddrs(x, f, true);
        break;
      case "localNetwork":
      case "peerExchange":
        out[k] = bool(x, f);
        break;
      case "gossip":
      case "reqResp":
      case "scoring":
        out[k] = plainOptions(x, f);
        break;
      default:
        out[k] = int(x, f, 1);
    }
  }
  return out as NonNullable<NodeOptionsInput["network"]>;
}

function domainOptions(v: unknown): NodeOptionsInput["domain"] {
  const o = object(v, "domain", ["name", "version", "chainId", "verifyingContract"]);
  if (o.name !== undefined && o.name !== "ocp") invalid("domain.name", 'must be "ocp"');
  if (o.version !== undefined && o.version !== "1") invalid("domain.version", 'must be "1"');
  return {
    chainId: int(o.chainId, "domain.chainId", 1),
    verifyingContract: address(o.verifyingContract, "domain.verifyingContract"),
  };
}

function streamsOptions(v: unknown): StreamOptions[] {
  const names = new Set<string>();
  return array(v, "streams", 1).map((s, i) => {
    const f = `streams[${i}]`;
    const o = object(s, f, ["name", "l1ChainId", "tableContract"]);
    const name = str(o.name, `${f}.name`);
    if (names.has(name)) invalid(`${f}.name`, `duplicate stream name ${JSON.stringify(name)}`);
    names.add(name);
    return {
      name,
      l1ChainId: int(o.l1ChainId, `${f}.l1ChainId`, 1),
      tableContract: address(o.tableContract, `${f}.tableContract`),
    };
  });
}

function slotMapping(v: unknown): SlotMapping {
  if (!isObject(v)) invalid("l1.slots", "expected an object");
  if (v.mode === "block-number") {
    object(v, "l1.slots", ["mode"]);
    return { mode: "block-number" };
  }
  if (v.mode === "beacon-time") {
    const o = object(v, "l1.slots", ["mode", "genesisTime", "secondsPerSlot"]);
    return {
      mode: "beacon-time",
      genesisTime: int(o.genesisTime, "l1.slots.genesisTime", 0),
      secondsPerSlot: int(o.secondsPerSlot, "l1.slots.secondsPerSlot", 1),
    };
  }
  return invalid("l1.slots.mode", 'expected "block-number" or "beacon-time"');
}

function l1Options(v: unknown): NodeOptionsInput["l1"] {
  const o = object(v, "l1", [
    "rpcUrls",
    "agreement",
    "confirmations",
    "rpcTimeoutMs",
    "slots",
    "pollIntervalMs",
    "wsUrl",
  ]);
  const rpcUrls = array(o.rpcUrls, "l1.rpcUrls", 1).map((u, i) => httpUrl(u, `l1.rpcUrls[${i}]`));
  const out: Partial<L1Options> & { rpcUrls: string[] } = { rpcUrls };
  if (o.agreement !== undefined) out.agreement = int(o.agreement, "l1.agreement", 1, rpcUrls.length);
  if (o.confirmations !== undefined) out.confirmations = int(o.confirmations, "l1.confirmations", 0);
  if (o.rpcTimeoutMs !== undefined) out.rpcTimeoutMs = int(o.rpcTimeoutMs, "l1.rpcTimeoutMs", 1);
  if (o.pollIntervalMs !== undefined) out.pollIntervalMs = int(o.pollIntervalMs, "l1.pollIntervalMs", 1);
  if (o.slots !== undefined) out.slots = slotMapping(o.slots);
  if (o.wsUrl !== undefined) out.wsUrl = url(o.wsUrl, "l1.wsUrl", ["ws:", "wss:"], "a ws(s) URL");
  return out;
}

const API_KEYS = [
  "host",
  "port",
  "bearerTokenFile",
  "bodyLimit",
  "cors",
  "sseHeartbeatMs",
  "sseMaxBufferedBytes",
  "sseMaxClients",
] as const;

async function readConfigFile(file: string, field: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new ConfigError(
      ConfigErrorCode.UNREADABLE,
      field,
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
}

/**
 * Reads `path` (node.json), validates every field, reads the files it names
 * and decrypts its keystores. Throws only ConfigError, whose message reads
 * `config <field>: <reason>`.
 */
export async function loadNodeConfig(
  path: string,
  flagOverrides: NodeConfigOverrides = {},
  modules: LoadNodeConfigModules = {},
): Promise<LoadedNodeConfig> {
  const bls = modules.bls ?? getBls();
  const prompt = modules.prompt ?? promptPassword;
  const base = dirname(resolve(path));
  const at = (p: string): string => resolve(base, p);

  let raw: unknown;
  try {
    raw = parseJsonText(await readConfigFile(path, "file"));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(ConfigErrorCode.INVALID, "file", `${path}: ${(e as Error).message}`);
  }
  const cfg = object(raw, "", TOP_LEVEL_KEYS);

  const dataDir =
    flagOverrides.dataDir !== undefined ? resolve(flagOverrides.dataDir) : at(str(cfg.dataDir, "dataDir"));

  const network = cfg.network === undefined ? {} : networkOptions(cfg.network);
  if (flagOverrides.listen?.length) network.listenAddrs = multiaddrs(flagOverrides.listen, "--listen", false);
  if (flagOverrides.bootstrap?.length) {
    network.bootstrapPeers = multiaddrs(flagOverrides.bootstrap, "--bootstrap", true);
  }

  if (cfg.domain === undefined) invalid("domain", "required");
  const domain = domainOptions(cfg.domain);
  if (cfg.streams === undefined) invalid("streams", "required");
  const streams = streamsOptions(cfg.streams);
  if (cfg.l1 === undefined) invalid("l1", "required");
  const l1 = l1Options(cfg.l1);
  if (flagOverrides.rpc?.length) {
    l1.rpcUrls = flagOverrides.rpc.map((u, i) => httpUrl(u, `--rpc[${i}]`));
    if (l1.agreement !== undefined && l1.agreement > l1.rpcUrls.length) {
      invalid("l1.agreement", `exceeds the ${l1.rpcUrls.length} --rpc URL(s)`);
    }
  }

  const verifierSets: VerifierSetData[] = [];
  if (cfg.verifierSets !== undefined) {
    for (const [i, f] of array(cfg.verifierSets, "verifierSets").entries()) {
      const field = `verifierSets[${i}]`;
      const file = at(str(f, field));
      const text = await readConfigFile(file, field);
      try {
        verifierSets.push(parseVerifierSetJson(parseJsonText(text)));
      } catch (e) {
        throw new ConfigError(ConfigErrorCode.INVALID, field, `${file}: ${(e as Error).message}`);
      }
    }
  }

  const secretKeys: BlsSecretKey[] = [];
  const pubkeys: `0x${string}`[] = [];
  if (cfg.keystores !== undefined) {
    const k = object(cfg.keystores, "keystores", ["dir", "passwordFile"]);
    const dir = at(str(k.dir, "keystores.dir"));
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
    } catch (e) {
      throw new ConfigError(
        ConfigErrorCode.UNREADABLE,
        "keystores.dir",
        `cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    const password = await passwordFor(
      k.passwordFile,
      "keystores.passwordFile",
      at,
      prompt,
      "Keystore password: ",
    );
    for (const name of names) {
      const file = resolve(dir, name);
      const text = await readConfigFile(file, "keystores.dir");
      try {
        const key = await decryptKeystore(text, password, bls);
        secretKeys.push(key.secretKey);
        pubkeys.push(toHex(key.pubkey));
      } catch (e) {
        throw new ConfigError(ConfigErrorCode.KEYSTORE, "keystores.dir", `${file}: ${(e as Error).message}`);
      }
    }
  }

  let anchor: NodeAnchorOptions | undefined;
  let anchorPrivateKey: `0x${string}` | undefined;
  let anchorAddress: `0x${string}` | undefined;
  if (cfg.anchor !== undefined) {
    const a = object(cfg.anchor, "anchor", [
      "rpcUrl",
      "index",
      "count",
      "fallbackDelayMs",
      "maxFeePerGasWei",
      "gasBumpPercent",
      "receiptTimeoutMs",
      "maxAttempts",
      "blockTimeMs",
      "horizonSlots",
      "retryMinMs",
      "retryMaxMs",
      "reconcileIntervalMs",
      "reconcileSlots",
      "keystore",
      "passwordFile",
    ]);
    const count = a.count === undefined ? 1 : int(a.count, "anchor.count", 1);
    anchor = {
      rpcUrl: httpUrl(a.rpcUrl, "anchor.rpcUrl"),
      index: int(a.index ?? 0, "anchor.index", 0, count - 1),
      count,
    };
    if (a.fallbackDelayMs !== undefined)
      anchor.fallbackDelayMs = int(a.fallbackDelayMs, "anchor.fallbackDelayMs", 0);
    if (a.gasBumpPercent !== undefined)
      anchor.gasBumpPercent = int(a.gasBumpPercent, "anchor.gasBumpPercent", 10);
    if (a.receiptTimeoutMs !== undefined)
      anchor.receiptTimeoutMs = int(a.receiptTimeoutMs, "anchor.receiptTimeoutMs", 1);
    if (a.maxAttempts !== undefined) anchor.maxAttempts = int(a.maxAttempts, "anchor.maxAttempts", 1);
    if (a.blockTimeMs !== undefined) anchor.blockTimeMs = int(a.blockTimeMs, "anchor.blockTimeMs", 1);
    if (a.horizonSlots !== undefined) anchor.horizonSlots = int(a.horizonSlots, "anchor.horizonSlots", 1);
    if (a.retryMinMs !== undefined) anchor.retryMinMs = int(a.retryMinMs, "anchor.retryMinMs", 1);
    if (a.retryMaxMs !== undefined) anchor.retryMaxMs = int(a.retryMaxMs, "anchor.retryMaxMs", 1);
    if ((anchor.retryMaxMs ?? 60_000) < (anchor.retryMinMs ?? 1000))
      invalid("anchor.retryMaxMs", "must not be below anchor.retryMinMs");
    if (a.reconcileIntervalMs !== undefined)
      anchor.reconcileIntervalMs = int(a.reconcileIntervalMs, "anchor.reconcileIntervalMs", 100);
    if (a.reconcileSlots !== undefined)
      anchor.reconcileSlots = int(a.reconcileSlots, "anchor.reconcileSlots", 0);
    if (a.maxFeePerGasWei !== undefined) {
      if (typeof a.maxFeePerGasWei !== "string" || !/^\d+$/.test(a.maxFeePerGasWei)) {
        invalid("anchor.maxFeePerGasWei", "expected a decimal string of wei");
      }
      anchor.maxFeePerGasWei = BigInt(a.maxFeePerGasWei);
    }
    const file = at(str(a.keystore, "anchor.keystore"));
    const text = await readConfigFile(file, "anchor.keystore");
    const password = await passwordFor(
      a.passwordFile,
      "anchor.passwordFile",
      at,
      prompt,
      "Anchorer keystore password: ",
    );
    try {
      const key = await decryptV3Keystore(text, password);
      anchorPrivateKey = toHex(key);
      anchorAddress = toHex(addressFromPrivateKey(key));
      key.fill(0);
    } catch (e) {
      throw new ConfigError(ConfigErrorCode.KEYSTORE, "anchor.keystore", `${file}: ${(e as Error).message}`);
    }
  }

  let api: Partial<ApiOptions> | undefined;
  if (cfg.api !== undefined) {
    const o = object(cfg.api, "api", API_KEYS);
    api = {};
    if (o.host !== undefined) api.host = str(o.host, "api.host");
    if (o.port !== undefined) api.port = int(o.port, "api.port", 0, 65535);
    if (o.bodyLimit !== undefined) api.bodyLimit = int(o.bodyLimit, "api.bodyLimit", 1);
    if (o.sseHeartbeatMs !== undefined) api.sseHeartbeatMs = int(o.sseHeartbeatMs, "api.sseHeartbeatMs", 1);
    if (o.sseMaxBufferedBytes !== undefined)
      api.sseMaxBufferedBytes = int(o.sseMaxBufferedBytes, "api.sseMaxBufferedBytes", 1);
    if (o.sseMaxClients !== undefined) api.sseMaxClients = int(o.sseMaxClients, "api.sseMaxClients", 1);
    if (o.cors !== undefined) api.cors = array(o.cors, "api.cors").map((c, i) => str(c, `api.cors[${i}]`));
    if (o.bearerTokenFile !== undefined) {
      const file = at(str(o.bearerTokenFile, "api.bearerTokenFile"));
      const token = secretFromText(await readConfigFile(file, "api.bearerTokenFile"));
      if (token === "") invalid("api.bearerTokenFile", `${file} is empty`);
      api.bearerToken = token;
    }
  }
  if (flagOverrides.apiPort !== undefined || flagOverrides.apiHost !== undefined) {
    api ??= {};
    if (flagOverrides.apiPort !== undefined) api.port = int(flagOverrides.apiPort, "--api-port", 0, 65535);
    if (flagOverrides.apiHost !== undefined) api.host = str(flagOverrides.apiHost, "--api-host");
  }

  const options: NodeOptionsInput = { dataDir, network, domain, streams, l1, verifierSets };
  if (cfg.proposal !== undefined) {
    options.proposal = plainOptions(cfg.proposal, "proposal", ["selfProposeDelayMs", "maxPendingSlots"]);
  }
  if (cfg.doppelganger !== undefined) {
    const d = object(cfg.doppelganger, "doppelganger", ["enabled", "windowSlots"]);
    options.doppelganger = {
      ...(d.enabled !== undefined ? { enabled: bool(d.enabled, "doppelganger.enabled") } : {}),
      ...(d.windowSlots !== undefined
        ? { windowSlots: int(d.windowSlots, "doppelganger.windowSlots", 0) }
        : {}),
    };
  }
  if (cfg.setsFromAnchor !== undefined) {
    const a = object(cfg.setsFromAnchor, "setsFromAnchor", [
      "rpcUrl",
      "refreshSlots",
      "minRefreshIntervalMs",
    ]);
    options.setsFromAnchor = {
      rpcUrl: httpUrl(a.rpcUrl, "setsFromAnchor.rpcUrl"),
      ...(a.refreshSlots !== undefined
        ? { refreshSlots: int(a.refreshSlots, "setsFromAnchor.refreshSlots", 1) }
        : {}),
      ...(a.minRefreshIntervalMs !== undefined
        ? { minRefreshIntervalMs: int(a.minRefreshIntervalMs, "setsFromAnchor.minRefreshIntervalMs", 0) }
        : {}),
    };
  }
  if (cfg.sync !== undefined) options.sync = plainOptions(cfg.sync, "sync", ["intervalMs", "lookbackSlots"]);
  if (cfg.readiness !== undefined) {
    const r = object(cfg.readiness, "readiness", ["minPeers", "l1HeadMaxAgeMs", "minKeys"]);
    options.readiness = {
      ...(r.minPeers !== undefined ? { minPeers: int(r.minPeers, "readiness.minPeers", 0) } : {}),
      ...(r.l1HeadMaxAgeMs !== undefined
        ? { l1HeadMaxAgeMs: int(r.l1HeadMaxAgeMs, "readiness.l1HeadMaxAgeMs", 1) }
        : {}),
      ...(r.minKeys !== undefined ? { minKeys: int(r.minKeys, "readiness.minKeys", 0) } : {}),
    };
  }
  if (cfg.retention !== undefined) {
    options.retention = plainOptions(cfg.retention, "retention", [
      "tableRetentionSlots",
      "attestationRetentionSlots",
    ]);
  }
  if (cfg.chain !== undefined) {
    options.chain = plainOptions(cfg.chain, "chain", [
      "validation",
      "blsVerifier",
      "aggregator",
      "seen",
      "commitmentPool",
      "attestationPool",
      "certificatePool",
    ]);
    const allow = (options.chain.validation as { builderAllowlist?: unknown } | undefined)?.builderAllowlist;
    if (
      allow !== undefined &&
      (!Array.isArray(allow) || !allow.every((a) => typeof a === "string" && /^0x[0-9a-fA-F]{40}$/.test(a)))
    ) {
      invalid("chain.validation.builderAllowlist", "expected an array of 0x-prefixed 20-byte addresses");
    }
  }
  if (cfg.checkers !== undefined) {
    options.checkers = plainOptions(cfg.checkers, "checkers", [
      "proof",
      "exec",
    ]) as NodeOptionsInput["checkers"];
  }
  if (cfg.metrics !== undefined) {
    options.metrics = plainOptions(cfg.metrics, "metrics", [
      "processMetrics",
      "eventLoopMonitoringPrecisionMs",
      "dbSizeMaxAgeMs",
    ]) as NodeOptionsInput["metrics"];
    const precision = options.metrics?.eventLoopMonitoringPrecisionMs;
    if (precision !== undefined) int(precision, "metrics.eventLoopMonitoringPrecisionMs", 1);
  }
  if (anchor) options.anchor = anchor;
  if (api) options.api = api;

  return {
    options,
    modules: { secretKeys, ...(anchorPrivateKey ? { anchorPrivateKey } : {}) },
    pubkeys,
    ...(anchorAddress ? { anchorAddress } : {}),
  };
}

async function passwordFor(
  file: unknown,
  field: string,
  at: (p: string) => string,
  prompt: (message: string) => Promise<string>,
  message: string,
): Promise<string> {
  if (file !== undefined) {
    const path = at(str(file, field));
    return secretFromText(await readConfigFile(path, field));
  }
  try {
    return await prompt(message);
  } catch (e) {
    throw new ConfigError(ConfigErrorCode.INVALID, field, `required: ${(e as Error).message}`);
  }
}
