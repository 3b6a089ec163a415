// JSON schemas of the API: the JSON forms of docs/spec.md §3 and each route's
// responses. Fastify validates requests and serializes responses with them,
// and /openapi.json is generated from the same objects.

/** A JSON schema as plain data (the subset we write; openapi 3.1 accepts it as is). */
export type JsonSchema = Readonly<Record<string, unknown>>;

const hex = (bytes: number, description?: string): JsonSchema => ({
  type: "string",
  pattern: `^0x[0-9a-fA-F]{${bytes * 2}}$`,
  ...(description === undefined ? {} : { description }),
});

/** Canonical decimal uint64 (range checked by the handler or the JSON parser). */
export const decimalSchema: JsonSchema = {
  type: "string",
  pattern: "^(0|[1-9][0-9]{0,19})$",
  description: "Unsigned decimal integer as a string",
};

const object = (properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema => ({
  type: "object",
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  additionalProperties: false,
});

const array = (items: JsonSchema, maxItems?: number): JsonSchema => ({
  type: "array",
  items,
  ...(maxItems === undefined ? {} : { maxItems }),
});

const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: "null" }] });

export const domainSchema = object({
  name: { type: "string", const: "ocp" },
  version: { type: "string", const: "1" },
  chainId: { type: "integer", minimum: 0 },
  verifyingContract: hex(20),
});

export const observationSchema = object({
  stream: hex(32),
  slot: decimalSchema,
  l1BlockNumber: decimalSchema,
  l1BlockHash: hex(32),
  schema: hex(32),
  tableDigest: hex(32),
  entryCount: { type: "integer", minimum: 0, maximum: 4294967295 },
});

export const signedCommitmentSchema = object({
  domain: domainSchema,
  commitment: object({ observation: observationSchema, builder: hex(20) }),
  signature: hex(65, "secp256k1 r‖s‖v over commitmentRoot"),
});

export const attestationSchema = object({
  domain: domainSchema,
  observation: observationSchema,
  setId: hex(32),
  verifierIndex: { type: "integer", minimum: 0 },
  signature: hex(96),
});

export const certificateSchema = object({
  domain: domainSchema,
  observation: observationSchema,
  setId: hex(32),
  signers: { type: "string", pattern: "^0x([0-9a-fA-F]{2})*$", description: "Signer bitfield" },
  aggregateSignature: hex(96),
});

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
    stream: hex(32),
    slot: decimalSchema,
    evidence: {
      anyOf: [
        object({ a: signedCommitmentSchema, b: signedCommitmentSchema }),
        object({ a: attestationSchema, b: attestationSchema }),
      ],
    },
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
  stream: hex(32),
  slot: decimalSchema,
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
    status: nullable(
      object({
        headSlot: decimalSchema,
        latestCertifiedSlot: decimalSchema,
        setIds: array(hex(32)),
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
