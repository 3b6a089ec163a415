// `node.json`: the node's config file. Loading is three steps: validate the
// document against NodeConfigSchema (configSchema.ts), map it to
// NodeOptionsInput (relative paths resolve against the file's directory, flags
// override the file), then read the secrets and files it names. Secrets never
// enter a message.
import { readdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { decryptKeystore, defaultGossipScoreThresholds, type NodeOptionsInput } from "@ocp/node";
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
import type { TSchema } from "@sinclair/typebox";
import { Value, type ValueError, ValueErrorType } from "@sinclair/typebox/value";
import {
  annotations,
  L1Schema,
  NetworkSchema,
  type NodeConfigFile,
  NodeConfigSchema,
} from "./configSchema.js";
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

/**
 * `<field>: <reason>`. The field is a JSON pointer into node.json
 * (`/network/gossip/D`), a flag (`--rpc`), or empty for the file itself.
 */
export class ConfigError extends ProtocolError<ConfigErrorCode> {
  constructor(
    code: ConfigErrorCode,
    readonly field: string,
    reason: string,
  ) {
    super(code, field === "" ? reason : `${field}: ${reason}`);
    this.name = "ConfigError";
    this.message = field === "" ? reason : `${field}: ${reason}`;
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

function invalid(field: string, reason: string): never {
  throw new ConfigError(ConfigErrorCode.INVALID, field, reason);
}

// --- step 1: validation ------------------------------------------------------

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const bound = (n: number): string => (n === MAX_SAFE ? "2^53-1" : String(n));

/** What a value of `schema` looks like, for "expected …". */
function describe(schema: TSchema, value: unknown): string {
  const s = schema as TSchema & Record<string, unknown>;
  const a = annotations(schema);
  if (s.type === "array" && typeof s.minItems === "number" && Array.isArray(value)) {
    return `at least ${s.minItems} item${s.minItems === 1 ? "" : "s"}`;
  }
  if (a.expected !== undefined) return a.expected;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) return (s.anyOf as TSchema[]).map((x) => describe(x, undefined)).join(" or ");
  switch (s.type) {
    case "integer":
      return `an integer in [${bound((s.minimum as number | undefined) ?? -MAX_SAFE)}, ${bound((s.maximum as number | undefined) ?? MAX_SAFE)}]`;
    case "number": {
      const parts: string[] = [];
      if (typeof s.minimum === "number") parts.push(`≥ ${s.minimum}`);
      if (typeof s.exclusiveMinimum === "number") parts.push(`> ${s.exclusiveMinimum}`);
      if (typeof s.maximum === "number") parts.push(`≤ ${s.maximum}`);
      if (typeof s.exclusiveMaximum === "number") parts.push(`< ${s.exclusiveMaximum}`);
      return parts.length ? `a number ${parts.join(" and ")}` : "a number";
    }
    case "boolean":
      return "true or false";
    case "string":
      return "a string";
    case "array":
      return "an array";
    default:
      return "an object";
  }
}

/**
 * A union of objects told apart by one literal key (`l1.slots.mode`): the
 * variant the value names, or undefined when it names none.
 */
function discriminated(union: TSchema, value: unknown): { key: string; variant?: number } | undefined {
  const variants = (union as { anyOf?: TSchema[] }).anyOf ?? [];
  const literalKeys = variants.map(
    (v) =>
      new Set(
        Object.entries((v as { properties?: Record<string, TSchema> }).properties ?? {})
          .filter(([, p]) => (p as { const?: unknown }).const !== undefined)
          .map(([k]) => k),
      ),
  );
  const key = [...(literalKeys[0] ?? [])].find((k) => literalKeys.every((ks) => ks.has(k)));
  if (key === undefined) return undefined;
  const tag =
    typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  const i = variants.findIndex(
    (v) =>
      (v as unknown as { properties: Record<string, { const?: unknown }> }).properties[key]!.const === tag,
  );
  return i < 0 ? { key } : { key, variant: i };
}

/** The message of a TypeBox error, naming the field by its JSON pointer. */
function errorOf(e: ValueError, pathPrefix: string): ConfigError {
  const at = `${pathPrefix}${e.path}`;
  const fail = (field: string, reason: string) => new ConfigError(ConfigErrorCode.INVALID, field, reason);
  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const props = (e.schema as { properties?: Record<string, unknown> }).properties;
      if (props === undefined) return fail(at, `unknown key (keys: ${describe(e.schema, undefined)})`);
      return fail(at, `unknown key (known: ${Object.keys(props).join(", ")})`);
    }
    case ValueErrorType.ObjectRequiredProperty:
      return fail(at, "required");
    case ValueErrorType.Union: {
      const d = discriminated(e.schema, e.value);
      if (d?.variant !== undefined) {
        const first = e.errors[d.variant]?.First();
        if (first) return errorOf(first, pathPrefix);
      }
      if (d) return fail(`${at}/${d.key}`, `expected ${describe(e.schema, undefined)}`);
      return fail(at, `expected ${describe(e.schema, e.value)}`);
    }
    default: {
      const c = (e.schema as { const?: unknown }).const;
      if (c !== undefined) return fail(at, `must be ${JSON.stringify(c)}`);
      return fail(at, `expected ${describe(e.schema, e.value)}`);
    }
  }
}

/** Throws the first error of `value` against `schema`; `field` prefixes its paths. */
function check(schema: TSchema, value: unknown, field = ""): void {
  if (Value.Check(schema, value)) return;
  const first = Value.Errors(schema, value).First();
  throw first ? errorOf(first, field) : invalid(field, "invalid");
}

/**
 * Validates a parsed node.json: the schema, then the rules that relate two
 * fields. Throws ConfigError naming the first bad field.
 */
export function validateNodeConfig(raw: unknown): NodeConfigFile {
  check(NodeConfigSchema, raw);
  const cfg = raw as NodeConfigFile;
  const names = new Set<string>();
  for (const [i, s] of cfg.streams.entries()) {
    if (names.has(s.name)) invalid(`/streams/${i}/name`, `duplicate stream name ${JSON.stringify(s.name)}`);
    names.add(s.name);
  }
  checkAgreement(cfg.l1.agreement, cfg.l1.rpcUrls.length, "/l1/agreement");
  const a = cfg.anchor;
  if (a !== undefined) {
    const count = a.count ?? 1;
    if ((a.index ?? 0) > count - 1) invalid("/anchor/index", `expected an integer in [0, ${count - 1}]`);
    if ((a.retryMaxMs ?? 60_000) < (a.retryMinMs ?? 1000)) {
      invalid("/anchor/retryMaxMs", "must not be below /anchor/retryMinMs");
    }
  }
  // gossipsub refuses thresholds out of this order at start (exit 1); say so here.
  const t = { ...defaultGossipScoreThresholds, ...cfg.network?.gossip?.scoreThresholds };
  const th = "/network/gossip/scoreThresholds";
  if (t.publishThreshold > t.gossipThreshold)
    invalid(`${th}/publishThreshold`, "must not be above gossipThreshold");
  if (t.graylistThreshold > t.publishThreshold) {
    invalid(`${th}/graylistThreshold`, "must not be above publishThreshold");
  }
  return cfg;
}

function checkAgreement(agreement: number | undefined, urls: number, field: string): void {
  if (agreement !== undefined && agreement > urls) invalid(field, `expected an integer in [1, ${urls}]`);
}

// --- step 2: options ---------------------------------------------------------

const lower = (a: string): `0x${string}` => a.toLowerCase() as `0x${string}`;

/**
 * The node options a validated file gives, flags applied; files and secrets
 * are still names (step 3 reads them). `at` resolves a path of the file.
 */
export function nodeOptionsFromConfig(
  cfg: NodeConfigFile,
  at: (p: string) => string,
  flags: NodeConfigOverrides = {},
): Omit<NodeOptionsInput, "verifierSets"> {
  const network: NonNullable<NodeOptionsInput["network"]> = { ...cfg.network };
  if (flags.listen?.length) {
    check(NetworkSchema.properties.listenAddrs, flags.listen, "--listen");
    network.listenAddrs = flags.listen;
  }
  if (flags.bootstrap?.length) {
    check(NetworkSchema.properties.bootstrapPeers, flags.bootstrap, "--bootstrap");
    network.bootstrapPeers = flags.bootstrap;
  }
  const l1 = { ...cfg.l1 };
  if (flags.rpc?.length) {
    check(L1Schema.properties.rpcUrls, flags.rpc, "--rpc");
    l1.rpcUrls = flags.rpc;
    checkAgreement(l1.agreement, l1.rpcUrls.length, "/l1/agreement");
  }
  const options: Omit<NodeOptionsInput, "verifierSets"> = {
    dataDir: flags.dataDir !== undefined ? resolve(flags.dataDir) : at(cfg.dataDir),
    network,
    domain: { chainId: cfg.domain.chainId, verifyingContract: lower(cfg.domain.verifyingContract) },
    streams: cfg.streams.map((s) => ({ ...s, tableContract: lower(s.tableContract) })),
    l1,
  };
  if (cfg.setsFromAnchor) options.setsFromAnchor = cfg.setsFromAnchor;
  if (cfg.proposal) options.proposal = cfg.proposal;
  if (cfg.doppelganger) options.doppelganger = cfg.doppelganger;
  if (cfg.sync) options.sync = cfg.sync;
  if (cfg.readiness) options.readiness = cfg.readiness;
  if (cfg.retention) options.retention = cfg.retention;
  if (cfg.chain) options.chain = cfg.chain;
  if (cfg.checkers) options.checkers = cfg.checkers;
  if (cfg.metrics) options.metrics = cfg.metrics;
  if (cfg.anchor) {
    const { keystore: _k, passwordFile: _p, maxFeePerGasWei, ...rest } = cfg.anchor;
    options.anchor = {
      ...rest,
      index: rest.index ?? 0,
      count: rest.count ?? 1,
      ...(maxFeePerGasWei !== undefined ? { maxFeePerGasWei: BigInt(maxFeePerGasWei) } : {}),
    };
  }
  if (cfg.api) {
    const { bearerTokenFile: _t, ...api } = cfg.api;
    options.api = api;
  }
  if (flags.apiPort !== undefined || flags.apiHost !== undefined) {
    options.api ??= {};
    if (flags.apiPort !== undefined) {
      check(ApiPort, flags.apiPort, "--api-port");
      options.api.port = flags.apiPort;
    }
    if (flags.apiHost !== undefined) {
      check(ApiHost, flags.apiHost, "--api-host");
      options.api.host = flags.apiHost;
    }
  }
  return options;
}

const ApiPort = NodeConfigSchema.properties.api.properties.port;
const ApiHost = NodeConfigSchema.properties.api.properties.host;

// --- step 3: files and secrets ----------------------------------------------

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

async function passwordFor(
  file: string | undefined,
  field: string,
  at: (p: string) => string,
  prompt: (message: string) => Promise<string>,
  message: string,
): Promise<string> {
  if (file !== undefined) return secretFromText(await readConfigFile(at(file), field));
  try {
    return await prompt(message);
  } catch (e) {
    throw new ConfigError(ConfigErrorCode.INVALID, field, `required: ${(e as Error).message}`);
  }
}

interface ConfigSecrets {
  verifierSets: VerifierSetData[];
  secretKeys: BlsSecretKey[];
  pubkeys: `0x${string}`[];
  anchorPrivateKey?: `0x${string}`;
  anchorAddress?: `0x${string}`;
  bearerToken?: string;
}

/** Reads the verifier sets, keystores and token files a validated config names. */
export async function loadConfigSecrets(
  cfg: NodeConfigFile,
  at: (p: string) => string,
  modules: LoadNodeConfigModules = {},
): Promise<ConfigSecrets> {
  const bls = modules.bls ?? getBls();
  const prompt = modules.prompt ?? promptPassword;
  const out: ConfigSecrets = { verifierSets: [], secretKeys: [], pubkeys: [] };

  for (const [i, f] of (cfg.verifierSets ?? []).entries()) {
    const field = `/verifierSets/${i}`;
    const file = at(f);
    const text = await readConfigFile(file, field);
    try {
      out.verifierSets.push(parseVerifierSetJson(parseJsonText(text)));
    } catch (e) {
      throw new ConfigError(ConfigErrorCode.INVALID, field, `${file}: ${(e as Error).message}`);
    }
  }

  if (cfg.keystores !== undefined) {
    const dir = at(cfg.keystores.dir);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
    } catch (e) {
      throw new ConfigError(
        ConfigErrorCode.UNREADABLE,
        "/keystores/dir",
        `cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    const password = await passwordFor(
      cfg.keystores.passwordFile,
      "/keystores/passwordFile",
      at,
      prompt,
      "Keystore password: ",
    );
    for (const name of names) {
      const file = resolve(dir, name);
      const text = await readConfigFile(file, "/keystores/dir");
      try {
        const key = await decryptKeystore(text, password, bls);
        out.secretKeys.push(key.secretKey);
        out.pubkeys.push(toHex(key.pubkey));
      } catch (e) {
        throw new ConfigError(ConfigErrorCode.KEYSTORE, "/keystores/dir", `${file}: ${(e as Error).message}`);
      }
    }
  }

  if (cfg.anchor !== undefined) {
    const file = at(cfg.anchor.keystore);
    const text = await readConfigFile(file, "/anchor/keystore");
    const password = await passwordFor(
      cfg.anchor.passwordFile,
      "/anchor/passwordFile",
      at,
      prompt,
      "Anchorer keystore password: ",
    );
    try {
      const key = await decryptV3Keystore(text, password);
      out.anchorPrivateKey = toHex(key);
      out.anchorAddress = toHex(addressFromPrivateKey(key));
      key.fill(0);
    } catch (e) {
      throw new ConfigError(ConfigErrorCode.KEYSTORE, "/anchor/keystore", `${file}: ${(e as Error).message}`);
    }
  }

  if (cfg.api?.bearerTokenFile !== undefined) {
    const file = at(cfg.api.bearerTokenFile);
    const token = secretFromText(await readConfigFile(file, "/api/bearerTokenFile"));
    if (token === "") invalid("/api/bearerTokenFile", `${file} is empty`);
    out.bearerToken = token;
  }
  return out;
}

/**
 * Reads `path` (node.json), validates it, applies the flags, then reads the
 * files it names and decrypts its keystores. Throws only ConfigError, whose
 * message reads `<field>: <reason>`.
 */
export async function loadNodeConfig(
  path: string,
  flagOverrides: NodeConfigOverrides = {},
  modules: LoadNodeConfigModules = {},
): Promise<LoadedNodeConfig> {
  const base = dirname(resolve(path));
  const at = (p: string): string => resolve(base, p);

  let raw: unknown;
  try {
    raw = parseJsonText(await readConfigFile(path, ""));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(ConfigErrorCode.INVALID, "", `not JSON: ${(e as Error).message}`);
  }
  // --data-dir stands in for a file without dataDir.
  if (flagOverrides.dataDir !== undefined && typeof raw === "object" && raw !== null && !("dataDir" in raw)) {
    raw = { ...raw, dataDir: flagOverrides.dataDir };
  }
  const cfg = validateNodeConfig(raw);
  const partial = nodeOptionsFromConfig(cfg, at, flagOverrides);
  const secrets = await loadConfigSecrets(cfg, at, modules);

  const options: NodeOptionsInput = { ...partial, verifierSets: secrets.verifierSets };
  if (secrets.bearerToken !== undefined) options.api = { ...options.api, bearerToken: secrets.bearerToken };
  return {
    options,
    modules: {
      secretKeys: secrets.secretKeys,
      ...(secrets.anchorPrivateKey ? { anchorPrivateKey: secrets.anchorPrivateKey } : {}),
    },
    pubkeys: secrets.pubkeys,
    ...(secrets.anchorAddress ? { anchorAddress: secrets.anchorAddress } : {}),
  };
}
