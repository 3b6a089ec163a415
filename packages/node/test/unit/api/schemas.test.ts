// The API's wire-type schemas are generated from the SSZ definitions: every
// field of each container is in its schema and bounded as its SSZ type says,
// checked by validating with the API's own Ajv set-up (fastify, API_AJV_OPTIONS)
// and cross-checked against the strict JSON parser of @ocp/protocol.
// The one copy @ocp/protocol defines its types with (hoisted), so instanceof holds.
import { ByteListType, ByteVectorType, ContainerType, UintBigintType, UintNumberType } from "@chainsafe/ssz";
import {
  attestationToJson,
  type BuilderEquivocation,
  builderEquivocationToJson,
  type Certificate,
  certificateToJson,
  type Domain,
  domainToJson,
  type Observation,
  observationToJson,
  parseAttestationJson,
  parseBuilderEquivocationJson,
  parseCertificateJson,
  parseDomainJson,
  parseObservationJson,
  parseSignedCommitmentJson,
  parseVerifierEquivocationJson,
  type SignedCommitment,
  signedCommitmentToJson,
  sszAttestation,
  sszBuilderEquivocation,
  sszCertificate,
  sszDomain,
  sszObservation,
  sszSignedCommitment,
  sszVerifierEquivocation,
  type VerifierEquivocation,
  verifierEquivocationToJson,
} from "@ocp/protocol";
import fc from "fast-check";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as arb from "../../../../protocol/test/unit/messageArbitraries.js";
import {
  attestationSchema,
  certificateSchema,
  domainSchema,
  equivocationSchema,
  type JsonSchema,
  observationSchema,
  signedCommitmentSchema,
  WIRE_FIELD_DESCRIPTIONS,
} from "../../../src/api/schemas.js";
import { API_AJV_OPTIONS } from "../../../src/api/server.js";

type Type = { typeName: string };
type Fields = { fieldsEntries: readonly { fieldName: string; fieldType: Type }[] };

const signedCommitment = (): fc.Arbitrary<SignedCommitment> =>
  fc.record({ domain: arb.domain(), commitment: arb.commitment(), signature: arb.bytes(65) });
const certificate = (): fc.Arbitrary<Certificate> =>
  fc.record({
    domain: arb.domain(),
    observation: arb.observation(),
    setId: arb.bytes(32),
    signers: fc.uint8Array({ maxLength: 512 }),
    aggregateSignature: arb.bytes(96),
  });

interface Case<T> {
  type: Type;
  schema: JsonSchema;
  values: fc.Arbitrary<T>;
  toJson: (v: T) => unknown;
  parse: (j: unknown) => T;
}
const cases: Case<never>[] = [
  {
    type: sszDomain,
    schema: domainSchema,
    values: arb.domain(),
    toJson: domainToJson,
    parse: parseDomainJson,
  },
  {
    type: sszObservation,
    schema: observationSchema,
    values: arb.observation(),
    toJson: observationToJson,
    parse: parseObservationJson,
  },
  {
    type: sszSignedCommitment,
    schema: signedCommitmentSchema,
    values: signedCommitment(),
    toJson: signedCommitmentToJson,
    parse: parseSignedCommitmentJson,
  },
  {
    type: sszAttestation,
    schema: attestationSchema,
    values: arb.attestation(),
    toJson: attestationToJson,
    parse: parseAttestationJson,
  },
  {
    type: sszCertificate,
    schema: certificateSchema,
    values: certificate(),
    toJson: certificateToJson,
    parse: parseCertificateJson,
  },
  // The evidence union: each equivocation validates against the one schema.
  {
    type: sszBuilderEquivocation,
    schema: equivocationSchema,
    values: fc.record({ a: signedCommitment(), b: signedCommitment() }) as fc.Arbitrary<BuilderEquivocation>,
    toJson: builderEquivocationToJson,
    parse: parseBuilderEquivocationJson,
  },
  {
    type: sszVerifierEquivocation,
    schema: equivocationSchema,
    values: fc.record({ a: arb.attestation(), b: arb.attestation() }) as fc.Arbitrary<VerifierEquivocation>,
    toJson: verifierEquivocationToJson,
    parse: parseVerifierEquivocationJson,
  },
] as unknown as Case<never>[];

// The schemas as the API's Ajv compiles them: one body route per case.
let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify({ logger: false, ajv: { customOptions: API_AJV_OPTIONS } });
  for (const c of cases) app.post(`/${c.type.typeName}`, { schema: { body: c.schema } }, async () => ({}));
  await app.ready();
});
afterAll(() => app.close());

async function valid(c: Case<never>, json: unknown): Promise<boolean> {
  const r = await app.inject({
    method: "POST",
    url: `/${c.type.typeName}`,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify(json),
  });
  if (r.statusCode !== 200 && r.statusCode !== 400) throw new Error(`status ${r.statusCode}: ${r.body}`);
  return r.statusCode === 200;
}

function parses(c: Case<never>, json: unknown): boolean {
  try {
    c.parse(json);
    return true;
  } catch {
    return false;
  }
}

/** The JSON form of a value with the field at `path` replaced (or removed, for `undefined`). */
function withField(json: unknown, path: readonly string[], v: unknown): unknown {
  const [k, ...rest] = path;
  const o = { ...(json as Record<string, unknown>) };
  if (rest.length > 0) o[k!] = withField(o[k!], rest, v);
  else if (v === undefined) delete o[k!];
  else o[k!] = v;
  return o;
}

const hexOf = (bytes: number): string => `0x${"ab".repeat(bytes)}`;

/** Values a leaf of `type` must take, and values it must refuse, in its JSON form. */
function leafProbes(type: Type): { accept: unknown[]; reject: unknown[] } {
  if (type instanceof ByteVectorType) {
    const n = type.lengthBytes;
    return {
      accept: [hexOf(n)],
      reject: [hexOf(n - 1), hexOf(n + 1), `${hexOf(n).slice(0, -1)}g`, "ab".repeat(n)],
    };
  }
  if (type instanceof ByteListType) {
    const n = type.limitBytes;
    return { accept: ["0x", hexOf(n)], reject: [hexOf(n + 1), "0xabc", 0] };
  }
  if (type instanceof UintBigintType) {
    return { accept: ["0", "18446744073709551615"], reject: ["01", "-1", "1.0", 1, "1".repeat(21)] };
  }
  if (type instanceof UintNumberType) {
    const max = Math.min(Number.MAX_SAFE_INTEGER, 2 ** (8 * type.byteLength) - 1);
    return { accept: [max], reject: [max + 2, -1, 1.5, "1"] };
  }
  throw new Error(`no probes for ${type.typeName}`);
}

/** Every leaf of a container, with its path from the root. */
function leaves(type: Type, path: string[] = []): { path: string[]; type: Type }[] {
  return (type as unknown as Fields).fieldsEntries.flatMap(({ fieldName, fieldType }) =>
    fieldType instanceof ContainerType
      ? leaves(fieldType, [...path, fieldName])
      : [{ path: [...path, fieldName], type: fieldType }],
  );
}

/** Every container of a type (itself included), with its path. */
function containers(type: Type, path: string[] = []): string[][] {
  return [
    path,
    ...(type as unknown as Fields).fieldsEntries.flatMap(({ fieldName, fieldType }) =>
      fieldType instanceof ContainerType ? containers(fieldType, [...path, fieldName]) : [],
    ),
  ];
}

const at = (json: unknown, path: readonly string[]): unknown =>
  path.reduce((o, k) => (o as Record<string, unknown>)[k], json);

describe("API schemas generated from the SSZ definitions", () => {
  for (const c of cases) {
    it(`${c.type.typeName}: every JSON form json.ts writes validates and parses back`, async () => {
      await fc.assert(
        fc.asyncProperty(c.values, async (v) => {
          const json = JSON.parse(JSON.stringify(c.toJson(v)));
          expect(await valid(c, json)).toBe(true);
          expect(c.parse(json)).toEqual(v);
        }),
        { numRuns: 40 },
      );
    });

    it(`${c.type.typeName}: every SSZ field is required and bounded as its type says`, async () => {
      const [sample] = fc.sample(c.values, { numRuns: 1, seed: 17 });
      const json = JSON.parse(JSON.stringify(c.toJson(sample!)));
      const found = leaves(c.type);
      expect(found.length).toBeGreaterThan(1);
      for (const { path, type } of found) {
        const where = `${c.type.typeName}.${path.join(".")}`;
        expect(await valid(c, withField(json, path, undefined)), `${where} missing`).toBe(false);
        const { accept, reject } = leafProbes(type);
        for (const v of accept) {
          const j = withField(json, path, v);
          expect(await valid(c, j), `${where} = ${JSON.stringify(v)}`).toBe(true);
          expect(parses(c, j), `${where} = ${JSON.stringify(v)} parsed`).toBe(true);
        }
        for (const v of reject) {
          const j = withField(json, path, v);
          expect(await valid(c, j), `${where} = ${JSON.stringify(v)}`).toBe(false);
          // Whatever the schema refuses, the parser refuses too: they describe one form.
          expect(parses(c, j), `${where} = ${JSON.stringify(v)} parsed`).toBe(false);
        }
      }
      // Each object of the form refuses a field its container does not have.
      for (const path of containers(c.type)) {
        const inner = { ...(at(json, path) as object), extra: 1 };
        const j = path.length === 0 ? inner : withField(json, path, inner);
        expect(await valid(c, j), `${c.type.typeName}.${path.join(".")}.extra`).toBe(false);
      }
    });
  }

  it("a domain carries the EIP-712 name and version the parser insists on", async () => {
    const c = cases[0]!;
    const json = domainToJson(fc.sample(arb.domain(), 1)[0]! as Domain);
    expect(await valid(c, json)).toBe(true);
    expect(await valid(c, { ...json, name: "other" })).toBe(false);
    expect(await valid(c, { ...json, version: "2" })).toBe(false);
    expect(await valid(c, { ...json, name: undefined })).toBe(false);
  });

  it("a uint64 beyond 2^64-1 fits the schema's 20 digits and is left to the parser", async () => {
    const c = cases[1]!;
    const json = withField(
      observationToJson(fc.sample(arb.observation(), 1)[0]! as Observation),
      ["slot"],
      "99999999999999999999",
    );
    expect(await valid(c, json)).toBe(true);
    expect(parses(c, json)).toBe(false);
  });

  it("field descriptions land on the fields they name", () => {
    const byName = new Map<string, JsonSchema>(cases.map((c) => [c.type.typeName, c.schema]));
    for (const [key, text] of Object.entries(WIRE_FIELD_DESCRIPTIONS)) {
      const [typeName, fieldName] = key.split(".") as [string, string];
      const schema = byName.get(typeName) as { properties: Record<string, JsonSchema> } | undefined;
      expect(schema?.properties[fieldName]?.description, key).toBe(text);
    }
  });

  it("the evidence schema has one option per union member, in selector order", () => {
    // One schema per option, in the union's selector order (builder, verifier).
    const options = (equivocationSchema as { anyOf: { properties: Record<string, JsonSchema> }[] }).anyOf;
    expect(options.map((o) => o.properties.a)).toEqual([signedCommitmentSchema, attestationSchema]);
  });
});
