// JSON forms of docs/spec.md §3 (files, CLI, HTTP API, `exec` stdin): strict parsers
// from already-parsed JSON values, and serializers to plain JSON objects.
import { ProtocolError } from "./errors.js";
import { fromHex, toHex } from "./hex.js";
import type {
  Attestation,
  BuilderEquivocation,
  Certificate,
  Commitment,
  Domain,
  Observation,
  Quorum,
  SignedCommitment,
  VerifierEntry,
  VerifierEquivocation,
  VerifierSetData,
} from "./types.js";
import {
  DOMAIN_NAME,
  DOMAIN_VERSION,
  MAX_BITFIELD_BYTES,
  MAX_VERIFIERS_PER_SET,
  UINT32_MAX,
  UINT64_MAX,
} from "./types.js";

export enum JsonErrorCode {
  /** The text is not JSON at all. */
  INVALID_JSON = "JSON_ERROR_INVALID_JSON",
  /** A value has the wrong JSON type (object, array, string, number). */
  WRONG_TYPE = "JSON_ERROR_WRONG_TYPE",
  MISSING_FIELD = "JSON_ERROR_MISSING_FIELD",
  UNKNOWN_FIELD = "JSON_ERROR_UNKNOWN_FIELD",
  /** Not 0x-prefixed hex, or not of the exact byte length. */
  INVALID_HEX = "JSON_ERROR_INVALID_HEX",
  /** Not a canonical decimal string within range. */
  INVALID_DECIMAL = "JSON_ERROR_INVALID_DECIMAL",
  /** A number outside its integer range. */
  INVALID_NUMBER = "JSON_ERROR_INVALID_NUMBER",
  /** A fixed value (domain name or version) differs. */
  INVALID_VALUE = "JSON_ERROR_INVALID_VALUE",
  /** An array above its protocol limit. */
  TOO_LONG = "JSON_ERROR_TOO_LONG",
}

export type JsonHex = `0x${string}`;

export interface DomainJson {
  name: "ocp";
  version: "1";
  chainId: number;
  verifyingContract: JsonHex;
}

export interface ObservationJson {
  stream: JsonHex;
  slot: string;
  l1BlockNumber: string;
  l1BlockHash: JsonHex;
  schema: JsonHex;
  tableDigest: JsonHex;
  entryCount: number;
}

export interface CommitmentJson {
  observation: ObservationJson;
  builder: JsonHex;
}

export interface SignedCommitmentJson {
  domain: DomainJson;
  commitment: CommitmentJson;
  signature: JsonHex;
}

export interface VerifierEntryJson {
  pubkey: JsonHex;
  weight: string;
  pop: JsonHex;
}

export interface VerifierSetJson {
  epoch: string;
  activationSlot: string;
  quorum: Quorum;
  verifiers: VerifierEntryJson[];
}

export interface AttestationJson {
  domain: DomainJson;
  observation: ObservationJson;
  setId: JsonHex;
  verifierIndex: number;
  signature: JsonHex;
}

export interface CertificateJson {
  domain: DomainJson;
  observation: ObservationJson;
  setId: JsonHex;
  signers: JsonHex;
  aggregateSignature: JsonHex;
}

export interface BuilderEquivocationJson {
  a: SignedCommitmentJson;
  b: SignedCommitmentJson;
}

export interface VerifierEquivocationJson {
  a: AttestationJson;
  b: AttestationJson;
}

// ---------------------------------------------------------------------------
// Field readers. `path` names the field from the root ("" at the root) so
// every error says where it is, e.g. `commitment.observation.slot: …`.

type Obj = Record<string, unknown>;

function fail(code: JsonErrorCode, path: string, message: string): never {
  throw new ProtocolError(code, `${path === "" ? "$" : path}: ${message}`);
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

/**
 * Checks `value` is an object with exactly `keys` as own keys. Own keys only:
 * a `__proto__` key from JSON.parse is an own property and is reported as unknown.
 */
function object(value: unknown, path: string, keys: readonly string[]): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(JsonErrorCode.WRONG_TYPE, path, "expected an object");
  }
  for (const k of Object.keys(value)) {
    if (!keys.includes(k)) fail(JsonErrorCode.UNKNOWN_FIELD, join(path, k), "unknown field");
  }
  for (const k of keys) {
    if (!Object.hasOwn(value, k)) fail(JsonErrorCode.MISSING_FIELD, join(path, k), "missing field");
  }
  return value as Obj;
}

function hexField(obj: Obj, key: string, path: string, length: number): Uint8Array {
  const p = join(path, key);
  const v = obj[key];
  const what = `expected 0x-prefixed hex of ${length} bytes`;
  if (typeof v !== "string") fail(JsonErrorCode.WRONG_TYPE, p, what);
  if (v.length !== 2 + 2 * length) fail(JsonErrorCode.INVALID_HEX, p, what);
  return parseHex(v, p, what);
}

function varHexField(obj: Obj, key: string, path: string, maxLength: number): Uint8Array {
  const p = join(path, key);
  const v = obj[key];
  const what = `expected 0x-prefixed hex of at most ${maxLength} bytes`;
  if (typeof v !== "string") fail(JsonErrorCode.WRONG_TYPE, p, what);
  if (v.length % 2 !== 0 || v.length > 2 + 2 * maxLength) fail(JsonErrorCode.INVALID_HEX, p, what);
  return parseHex(v, p, what);
}

function parseHex(v: string, path: string, what: string): Uint8Array {
  try {
    return fromHex(v);
  } catch {
    return fail(JsonErrorCode.INVALID_HEX, path, what);
  }
}

// Canonical decimal: no sign, no spaces, no leading zeros except "0" itself.
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const UINT64_DIGITS = UINT64_MAX.toString().length;

function uint64Field(obj: Obj, key: string, path: string): bigint {
  const p = join(path, key);
  const v = obj[key];
  const what = "expected a decimal string of a uint64";
  if (typeof v !== "string") fail(JsonErrorCode.WRONG_TYPE, p, what);
  // Length bound first so an enormous string never reaches the regex or BigInt.
  if (v.length > UINT64_DIGITS || !DECIMAL.test(v)) fail(JsonErrorCode.INVALID_DECIMAL, p, what);
  const n = BigInt(v);
  if (n > UINT64_MAX) fail(JsonErrorCode.INVALID_DECIMAL, p, what);
  return n;
}

function intField(obj: Obj, key: string, path: string, min: number, max: number, what: string): number {
  const p = join(path, key);
  const v = obj[key];
  if (typeof v !== "number") fail(JsonErrorCode.WRONG_TYPE, p, `expected ${what}`);
  // -0 is rejected so that every accepted value serializes back to the same text.
  if (!Number.isInteger(v) || v < min || v > max || Object.is(v, -0)) {
    fail(JsonErrorCode.INVALID_NUMBER, p, `expected ${what}`);
  }
  return v;
}

function uint32Field(obj: Obj, key: string, path: string): number {
  return intField(obj, key, path, 0, UINT32_MAX, "an integer number in [0, 2^32-1]");
}

function constField(obj: Obj, key: string, path: string, expected: string): void {
  const v = obj[key];
  if (typeof v !== "string") fail(JsonErrorCode.WRONG_TYPE, join(path, key), `expected "${expected}"`);
  if (v !== expected) fail(JsonErrorCode.INVALID_VALUE, join(path, key), `expected "${expected}"`);
}

/**
 * Runs a parser; anything thrown that is not a ProtocolError (a throwing getter
 * or proxy handed in by a caller) becomes one, so callers need a single catch.
 */
function guard<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError(JsonErrorCode.WRONG_TYPE, `$: unreadable value (${String(e)})`);
  }
}

// ---------------------------------------------------------------------------
// Parsers at a path (internal) and their exported root forms.

const DOMAIN_KEYS = ["name", "version", "chainId", "verifyingContract"] as const;
function domainAt(value: unknown, path: string): Domain {
  const o = object(value, path, DOMAIN_KEYS);
  constField(o, "name", path, DOMAIN_NAME);
  constField(o, "version", path, DOMAIN_VERSION);
  return {
    chainId: intField(o, "chainId", path, 1, Number.MAX_SAFE_INTEGER, "a positive safe integer number"),
    verifyingContract: hexField(o, "verifyingContract", path, 20),
  };
}

const OBSERVATION_KEYS = [
  "stream",
  "slot",
  "l1BlockNumber",
  "l1BlockHash",
  "schema",
  "tableDigest",
  "entryCount",
] as const;
function observationAt(value: unknown, path: string): Observation {
  const o = object(value, path, OBSERVATION_KEYS);
  return {
    stream: hexField(o, "stream", path, 32),
    slot: uint64Field(o, "slot", path),
    l1BlockNumber: uint64Field(o, "l1BlockNumber", path),
    l1BlockHash: hexField(o, "l1BlockHash", path, 32),
    schema: hexField(o, "schema", path, 32),
    tableDigest: hexField(o, "tableDigest", path, 32),
    entryCount: uint32Field(o, "entryCount", path),
  };
}

function commitmentAt(value: unknown, path: string): Commitment {
  const o = object(value, path, ["observation", "builder"]);
  return {
    observation: observationAt(o.observation, join(path, "observation")),
    builder: hexField(o, "builder", path, 20),
  };
}

function signedCommitmentAt(value: unknown, path: string): SignedCommitment {
  const o = object(value, path, ["domain", "commitment", "signature"]);
  return {
    domain: domainAt(o.domain, join(path, "domain")),
    commitment: commitmentAt(o.commitment, join(path, "commitment")),
    signature: hexField(o, "signature", path, 65),
  };
}

function verifierEntryAt(value: unknown, path: string): VerifierEntry {
  const o = object(value, path, ["pubkey", "weight", "pop"]);
  return {
    pubkey: hexField(o, "pubkey", path, 48),
    weight: uint64Field(o, "weight", path),
    pop: hexField(o, "pop", path, 96),
  };
}

function quorumAt(value: unknown, path: string): Quorum {
  const o = object(value, path, ["numerator", "denominator"]);
  return {
    numerator: intField(
      o,
      "numerator",
      path,
      0,
      Number.MAX_SAFE_INTEGER,
      "a non-negative safe integer number",
    ),
    denominator: intField(
      o,
      "denominator",
      path,
      1,
      Number.MAX_SAFE_INTEGER,
      "a positive safe integer number",
    ),
  };
}

function verifierSetAt(value: unknown, path: string): VerifierSetData {
  const o = object(value, path, ["epoch", "activationSlot", "quorum", "verifiers"]);
  const vp = join(path, "verifiers");
  const list = o.verifiers;
  if (!Array.isArray(list)) fail(JsonErrorCode.WRONG_TYPE, vp, "expected an array");
  if (list.length > MAX_VERIFIERS_PER_SET) {
    fail(JsonErrorCode.TOO_LONG, vp, `at most ${MAX_VERIFIERS_PER_SET} verifiers`);
  }
  const verifiers: VerifierEntry[] = [];
  for (let i = 0; i < list.length; i++) verifiers.push(verifierEntryAt(list[i], join(vp, i)));
  return {
    epoch: uint64Field(o, "epoch", path),
    activationSlot: uint64Field(o, "activationSlot", path),
    quorum: quorumAt(o.quorum, join(path, "quorum")),
    verifiers,
  };
}

function attestationAt(value: unknown, path: string): Attestation {
  const o = object(value, path, ["domain", "observation", "setId", "verifierIndex", "signature"]);
  return {
    domain: domainAt(o.domain, join(path, "domain")),
    observation: observationAt(o.observation, join(path, "observation")),
    setId: hexField(o, "setId", path, 32),
    verifierIndex: uint32Field(o, "verifierIndex", path),
    signature: hexField(o, "signature", path, 96),
  };
}

function certificateAt(value: unknown, path: string): Certificate {
  const o = object(value, path, ["domain", "observation", "setId", "signers", "aggregateSignature"]);
  return {
    domain: domainAt(o.domain, join(path, "domain")),
    observation: observationAt(o.observation, join(path, "observation")),
    setId: hexField(o, "setId", path, 32),
    signers: varHexField(o, "signers", path, MAX_BITFIELD_BYTES),
    aggregateSignature: hexField(o, "aggregateSignature", path, 96),
  };
}

/** Parses JSON text; a syntax error becomes `JSON_ERROR_INVALID_JSON`. */
export function parseJsonText(text: string): unknown {
  if (typeof text !== "string") throw new ProtocolError(JsonErrorCode.INVALID_JSON, "$: expected JSON text");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ProtocolError(JsonErrorCode.INVALID_JSON, `$: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function parseDomainJson(value: unknown): Domain {
  return guard(() => domainAt(value, ""));
}
export function parseObservationJson(value: unknown): Observation {
  return guard(() => observationAt(value, ""));
}
export function parseCommitmentJson(value: unknown): Commitment {
  return guard(() => commitmentAt(value, ""));
}
export function parseSignedCommitmentJson(value: unknown): SignedCommitment {
  return guard(() => signedCommitmentAt(value, ""));
}
/** Shape and ranges only; keys, PoPs and the quorum bound are checked in sets.ts. */
export function parseVerifierSetJson(value: unknown): VerifierSetData {
  return guard(() => verifierSetAt(value, ""));
}
export function parseAttestationJson(value: unknown): Attestation {
  return guard(() => attestationAt(value, ""));
}
/** Shape only; the bitfield's length against the set is checked on verification. */
export function parseCertificateJson(value: unknown): Certificate {
  return guard(() => certificateAt(value, ""));
}
export function parseBuilderEquivocationJson(value: unknown): BuilderEquivocation {
  return guard(() => {
    const o = object(value, "", ["a", "b"]);
    return { a: signedCommitmentAt(o.a, "a"), b: signedCommitmentAt(o.b, "b") };
  });
}
export function parseVerifierEquivocationJson(value: unknown): VerifierEquivocation {
  return guard(() => {
    const o = object(value, "", ["a", "b"]);
    return { a: attestationAt(o.a, "a"), b: attestationAt(o.b, "b") };
  });
}

// ---------------------------------------------------------------------------
// Serializers: plain objects, keys in the order of docs/spec.md §3, lowercase hex.

export function domainToJson(d: Domain): DomainJson {
  return {
    name: DOMAIN_NAME,
    version: DOMAIN_VERSION,
    chainId: d.chainId,
    verifyingContract: toHex(d.verifyingContract),
  };
}

export function observationToJson(o: Observation): ObservationJson {
  return {
    stream: toHex(o.stream),
    slot: o.slot.toString(),
    l1BlockNumber: o.l1BlockNumber.toString(),
    l1BlockHash: toHex(o.l1BlockHash),
    schema: toHex(o.schema),
    tableDigest: toHex(o.tableDigest),
    entryCount: o.entryCount,
  };
}

export function commitmentToJson(c: Commitment): CommitmentJson {
  return { observation: observationToJson(c.observation), builder: toHex(c.builder) };
}

export function signedCommitmentToJson(s: SignedCommitment): SignedCommitmentJson {
  return {
    domain: domainToJson(s.domain),
    commitment: commitmentToJson(s.commitment),
    signature: toHex(s.signature),
  };
}

export function verifierSetToJson(s: VerifierSetData): VerifierSetJson {
  return {
    epoch: s.epoch.toString(),
    activationSlot: s.activationSlot.toString(),
    quorum: { numerator: s.quorum.numerator, denominator: s.quorum.denominator },
    verifiers: s.verifiers.map((v) => ({
      pubkey: toHex(v.pubkey),
      weight: v.weight.toString(),
      pop: toHex(v.pop),
    })),
  };
}

export function attestationToJson(a: Attestation): AttestationJson {
  return {
    domain: domainToJson(a.domain),
    observation: observationToJson(a.observation),
    setId: toHex(a.setId),
    verifierIndex: a.verifierIndex,
    signature: toHex(a.signature),
  };
}

export function certificateToJson(c: Certificate): CertificateJson {
  return {
    domain: domainToJson(c.domain),
    observation: observationToJson(c.observation),
    setId: toHex(c.setId),
    signers: toHex(c.signers),
    aggregateSignature: toHex(c.aggregateSignature),
  };
}

export function builderEquivocationToJson(e: BuilderEquivocation): BuilderEquivocationJson {
  return { a: signedCommitmentToJson(e.a), b: signedCommitmentToJson(e.b) };
}

export function verifierEquivocationToJson(e: VerifierEquivocation): VerifierEquivocationJson {
  return { a: attestationToJson(e.a), b: attestationToJson(e.b) };
}
