// JSON schemas of the API: the JSON forms of docs/spec.md §3.8 (generated from
// the SSZ definitions by @ocp/protocol's jsonSchemaOf) and each route's
// responses. Fastify validates requests and serializes responses with them,
// and /openapi.json is generated from the same objects.
import {
  decimalJsonSchema,
  hexJsonSchema as hex,
  type JsonObjectSchema,
  type JsonSchema,
  jsonSchemaOf,
  objectJsonSchema as object,
  sszAttestation,
  sszCertificate,
  sszDomain,
  sszEvidence,
  sszObservation,
  sszSignedCommitment,
  sszStatus,
} from "@ocp/protocol";

export type { JsonSchema };

const array = (items: JsonSchema, maxItems?: number): JsonSchema => ({
  type: "array",
  items,
  ...(maxItems === undefined ? {} : { maxItems }),
});

const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: "null" }] });

/** A field's schema out of a generated one; a renamed field fails at load, not at serialization. */
function field(s: JsonObjectSchema, name: string): JsonSchema {
  const f = s.properties[name];
  if (f === undefined) throw new Error(`api schemas: no field ${name}`);
  return f;
}

/** Canonical decimal uint64 (range checked by the handler or the JSON parser). */
export const decimalSchema = decimalJsonSchema;

/** Descriptions of wire fields in /openapi.json, keyed `SszTypeName.field`. */
export const WIRE_FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  "SignedCommitment.signature": "secp256k1 r‖s‖v over commitmentRoot",
  "Certificate.signers": "Signer bitfield",
};
// The wire types' JSON forms, generated from their SSZ definitions: a field
// added to a container reaches the API's validation and /openapi.json as is.
const wire = <T extends Parameters<typeof jsonSchemaOf>[0]>(type: T) =>
  jsonSchemaOf(type, { descriptions: WIRE_FIELD_DESCRIPTIONS });

export const domainSchema = wire(sszDomain);
export const observationSchema = wire(sszObservation);
export const signedCommitmentSchema = wire(sszSignedCommitment);
export const attestationSchema = wire(sszAttestation);
export const certificateSchema = wire(sszCertificate);
/** Either equivocation, as in the `evidence` topic's union. */
export const equivocationSchema = wire(sszEvidence);
const statusSchema = wire(sszStatus);

export const errorSchema = object({ code: { type: "string" }, message: { type: "string" } });

/** Path parameter: 0x-hex stream id, or the stream's configured name. */
export const streamParamSchema: JsonSchema = {
  type: "string",
  minLength: 1,
  maxLength: 66,
  description: "0x-hex stream id or the configured stream name",
};

export const streamSlotParamsSchema = object({ stream: streamParamSchema, slot: decimalSchema });

export const evidenceItemSchema: JsonSchema = {
  type: "object",
  properties: {
    kind: { type: "string", enum: ["builder", "verifier"] },
    stream: field(observationSchema, "stream"),
    slot: field(observationSchema, "slot"),
    evidence: equivocationSchema,
  },
  required: ["kind", "stream", "slot", "evidence"],
  additionalProperties: false,
};

export const anchorStatusSchema = object(
  {
    anchored: { type: "boolean" },
    outcome: { type: "string" },
    txHash: hex(32),
    blockNumber: decimalSchema,
  },
  ["outcome", "txHash", "blockNumber"],
);

export const observationRecordSchema = object({
  observation: observationSchema,
  checkers: array(
    object(
      {
        checker: { type: "string" },
        outcome: { type: "string", enum: ["pass", "fail", "abstain", "error"] },
        detail: { type: "string" },
        durationMs: { type: "number" },
      },
      ["detail", "durationMs"],
    ),
  ),
  decision: { type: "string", enum: ["attest", "refuse", "abstain"] },
  decidedAtMs: { type: "number" },
});

export const rootWeightSchema = object({
  root: hex(32, "observationRoot"),
  setId: hex(32),
  signedWeight: decimalSchema,
  totalWeight: decimalSchema,
  signers: { type: "integer", minimum: 0, description: "Verifiers counted for this root" },
});

export const slotSchema = object({
  stream: field(observationSchema, "stream"),
  slot: field(observationSchema, "slot"),
  commitments: array(signedCommitmentSchema),
  observation: nullable(observationRecordSchema),
  attestations: array(rootWeightSchema),
  certificate: nullable(certificateSchema),
  anchor: anchorStatusSchema,
});

export const healthSchema = object({
  status: { type: "string", enum: ["ok", "degraded"] },
  headSlot: nullable(decimalSchema),
  peers: { type: "integer", minimum: 0 },
  lastCertifiedSlot: nullable(decimalSchema),
  anchorBacklog: nullable({ type: "integer", minimum: 0 }),
});

export const verifierSetItemSchema = object({
  setId: { type: "string" },
  epoch: decimalSchema,
  activationSlot: decimalSchema,
  quorum: object({ numerator: { type: "integer" }, denominator: { type: "integer" } }),
  totalWeight: decimalSchema,
  verifiers: array(object({ pubkey: { type: "string" }, weight: decimalSchema })),
});

export const livezSchema = object({ status: { type: "string", enum: ["live"] } });

export const readyzSchema = object({
  status: { type: "string", enum: ["ready", "unready"] },
  failing: array(object({ condition: { type: "string" }, detail: { type: "string" } })),
});

export const identitySchema = object({
  apiVersion: { type: "string" },
  peerId: { type: "string" },
  multiaddrs: array({ type: "string" }),
  network: { type: "string" },
  domain: domainSchema,
  streams: array(
    object({
      name: { type: "string" },
      id: hex(32),
      l1ChainId: { type: "integer" },
      tableContract: hex(20),
    }),
  ),
  verifierPubkeys: array(hex(48)),
});

export const peerSchema = object(
  {
    peerId: { type: "string" },
    addrs: array({ type: "string" }),
    direction: { type: "string" },
    score: { type: "number" },
    connectedAtMs: { type: "number" },
    isStatic: { type: "boolean" },
    // The peer's Status message, without the network id every peer shares.
    status: nullable(
      object({
        headSlot: field(statusSchema, "headSlot"),
        latestCertifiedSlot: field(statusSchema, "latestCertifiedSlot"),
        setIds: field(statusSchema, "setIds"),
      }),
    ),
  },
  [],
);

export const evidenceQuerySchema = object(
  {
    stream: streamParamSchema,
    fromSlot: decimalSchema,
    limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$", description: "1..1000, default 100" },
  },
  ["stream", "fromSlot", "limit"],
);

/** Recent slots: at most `limit` slots read back from `toSlot` (default: the head). */
export const SLOTS_SCAN_MAX = 64;
export const slotsQuerySchema = object(
  {
    toSlot: decimalSchema,
    limit: { type: "string", pattern: "^[1-9][0-9]?$", description: `1..${SLOTS_SCAN_MAX}, default 32` },
  },
  ["toSlot", "limit"],
);

export const streamParamsSchema = object({ stream: streamParamSchema });

export const eventsQuerySchema = object(
  {
    topics: {
      type: "string",
      pattern:
        "^(commitment|attestation|certificate|anchored|evidence)(,(commitment|attestation|certificate|anchored|evidence))*$",
      description: "Comma-separated event names; all when absent",
    },
  },
  ["topics"],
);

export const acceptedSchema = object({ status: { type: "string", const: "accepted" } });

/** 4xx/5xx responses every route can give. */
export const errorResponses = {
  "4xx": errorSchema,
  "5xx": errorSchema,
};
