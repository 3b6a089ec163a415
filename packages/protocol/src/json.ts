// JSON forms of docs/spec.md §3 (files, CLI, HTTP API, `exec` stdin): strict parsers
// from already-parsed JSON values, and serializers to plain JSON objects. The wire
// types' forms are derived from their SSZ definitions (ssz/types.ts), field by field.
import type { Type } from "@chainsafe/ssz";
import { ByteListType, ByteVectorType, ContainerType, UintBigintType, UintNumberType } from "@chainsafe/ssz";
import { ProtocolError } from "./errors.js";
import { fromHex, toHex } from "./hex.js";
import {
  sszAttestation,
  sszBuilderEquivocation,
  sszCertificate,
  sszCommitment,
  sszDomain,
  sszObservation,
  sszSignedCommitment,
  sszVerifierEquivocation,
} from "./ssz/types.js";
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
import { DOMAIN_NAME, DOMAIN_VERSION, MAX_VERIFIERS_PER_SET, UINT32_MAX, UINT64_MAX } from "./types.js";

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

/**
 * The JSON form of a wire type, derived from its value type: bytes as 0x-hex,
 * uint64 (bigint) as a decimal string, uint32 as a number; a Domain also
 * carries the fixed EIP-712 name and version.
 */
export type JsonOf<T> = T extends Uint8Array
  ? JsonHex
  : T extends bigint
    ? string
    : T extends number
      ? number
      : T extends Domain
        ? DomainJson
        : { [K in keyof T]: JsonOf<T[K]> };

export interface DomainJson {
  name: "ocp";
  version: "1";
  chainId: number;
  verifyingContract: JsonHex;
}

export type ObservationJson = JsonOf<Observation>;
export type CommitmentJson = JsonOf<Commitment>;
export type SignedCommitmentJson = JsonOf<SignedCommitment>;
export type AttestationJson = JsonOf<Attestation>;
export type CertificateJson = JsonOf<Certificate>;
export type BuilderEquivocationJson = JsonOf<BuilderEquivocation>;
export type VerifierEquivocationJson = JsonOf<VerifierEquivocation>;

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

type AnyType = Type<unknown>;
type Fields = { fieldsEntries: readonly { fieldName: string; fieldType: AnyType }[] };
const fieldsOf = (t: AnyType) => (t as unknown as Fields).fieldsEntries;

/** A field of `o` read as `type` (a leaf of a wire type's SSZ definition). */
function leafAt(type: AnyType, o: Obj, key: string, path: string): unknown {
  if (type instanceof ByteVectorType) return hexField(o, key, path, type.lengthBytes);
  if (type instanceof ByteListType) return varHexField(o, key, path, type.limitBytes);
  if (type instanceof UintBigintType) return uint64Field(o, key, path);
  if (type instanceof UintNumberType && type.byteLength === 4) return uint32Field(o, key, path);
  // The wire types are a few fixed trees: anything else is a programming error the tests catch.
  throw new Error(`json: no JSON form for SSZ type ${type.typeName}`);
}

/** Parses the JSON form of the container `type` at `path`, field by field in SSZ order. */
function wireAt(type: AnyType, value: unknown, path: string): unknown {
  if (type === sszDomain) return domainAt(value, path);
  const fields = fieldsOf(type);
  const o = object(
    value,
    path,
    fields.map((f) => f.fieldName),
  );
  const out: Obj = {};
  for (const { fieldName, fieldType } of fields) {
    out[fieldName] =
      fieldType instanceof ContainerType
        ? wireAt(fieldType, o[fieldName], join(path, fieldName))
        : leafAt(fieldType, o, fieldName, path);
  }
  return out;
}

/** The JSON form of a value of the container `type`, keys in SSZ field order. */
function wireToJson(type: AnyType, value: unknown): unknown {
  if (type === sszDomain) return domainToJson(value as Domain);
  const v = value as Obj;
  const out: Obj = {};
  for (const { fieldName, fieldType } of fieldsOf(type)) {
    const x = v[fieldName];
    if (fieldType instanceof ContainerType) out[fieldName] = wireToJson(fieldType, x);
    else if (x instanceof Uint8Array) out[fieldName] = toHex(x);
    else if (typeof x === "bigint") out[fieldName] = x.toString();
    else out[fieldName] = x;
  }
  return out;
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
  return guard(() => wireAt(sszObservation, value, "") as Observation);
}
export function parseCommitmentJson(value: unknown): Commitment {
  return guard(() => wireAt(sszCommitment, value, "") as Commitment);
}
export function parseSignedCommitmentJson(value: unknown): SignedCommitment {
  return guard(() => wireAt(sszSignedCommitment, value, "") as SignedCommitment);
}
/** Shape and ranges only; keys, PoPs and the quorum bound are checked in sets.ts. */
export function parseVerifierSetJson(value: unknown): VerifierSetData {
  return guard(() => verifierSetAt(value, ""));
}
export function parseAttestationJson(value: unknown): Attestation {
  return guard(() => wireAt(sszAttestation, value, "") as Attestation);
}
/** Shape only; the bitfield's length against the set is checked on verification. */
export function parseCertificateJson(value: unknown): Certificate {
  return guard(() => wireAt(sszCertificate, value, "") as Certificate);
}
export function parseBuilderEquivocationJson(value: unknown): BuilderEquivocation {
  return guard(() => wireAt(sszBuilderEquivocation, value, "") as BuilderEquivocation);
}
export function parseVerifierEquivocationJson(value: unknown): VerifierEquivocation {
  return guard(() => wireAt(sszVerifierEquivocation, value, "") as VerifierEquivocation);
}

// ---------------------------------------------------------------------------
// Serializers: plain objects, keys in the order of docs/spec.md §3 (the SSZ
// field order), lowercase hex.

export function domainToJson(d: Domain): DomainJson {
  return {
    name: DOMAIN_NAME,
    version: DOMAIN_VERSION,
    chainId: d.chainId,
    verifyingContract: toHex(d.verifyingContract),
  };
}

export function observationToJson(o: Observation): ObservationJson {
  return wireToJson(sszObservation, o) as ObservationJson;
}

export function commitmentToJson(c: Commitment): CommitmentJson {
  return wireToJson(sszCommitment, c) as CommitmentJson;
}

export function signedCommitmentToJson(s: SignedCommitment): SignedCommitmentJson {
  return wireToJson(sszSignedCommitment, s) as SignedCommitmentJson;
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
  return wireToJson(sszAttestation, a) as AttestationJson;
}

export function certificateToJson(c: Certificate): CertificateJson {
  return wireToJson(sszCertificate, c) as CertificateJson;
}

export function builderEquivocationToJson(e: BuilderEquivocation): BuilderEquivocationJson {
  return wireToJson(sszBuilderEquivocation, e) as BuilderEquivocationJson;
}

export function verifierEquivocationToJson(e: VerifierEquivocation): VerifierEquivocationJson {
  return wireToJson(sszVerifierEquivocation, e) as VerifierEquivocationJson;
}
