// The node's HTTP API (fastify): read routes over the node's state, the
// bearer-protected commitment submission, server-sent events, /metrics and
// /openapi.json. Binds 127.0.0.1 unless told otherwise.
import { readFile } from "node:fs/promises";
import {
  type Attestation,
  attestationToJson,
  type Certificate,
  certificateToJson,
  domainToJson,
  fromHex,
  isProtocolError,
  parseSignedCommitmentJson,
  type SignedCommitment,
  type SszEvidence,
  signedCommitmentToJson,
  toHex,
  UINT64_MAX,
} from "@ocp/protocol";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { Counter } from "prom-client";
import { domainKey, slotKey } from "../chain/pools/keys.js";
import type { StreamContext } from "../checkers/types.js";
import { isGossipActionError } from "../network/errors.js";
import type { OcpNode } from "../node.js";
import { type Logger, nullLogger } from "../util/logger.js";
import { BearerAuth } from "./auth.js";
import { ApiError, ApiErrorCode, isApiError } from "./errors.js";
import { EVENT_TOPICS, EventHub, type EventTopic } from "./events.js";
import { buildOpenApi, type RouteInfo, type RouteSchema } from "./openapi.js";
import { checkReadiness } from "./readiness.js";
import {
  acceptedSchema,
  certificateSchema,
  errorResponses,
  eventsQuerySchema,
  evidenceItemSchema,
  evidenceQuerySchema,
  healthSchema,
  identitySchema,
  livezSchema,
  peerSchema,
  readyzSchema,
  SLOTS_SCAN_MAX,
  signedCommitmentSchema,
  slotSchema,
  slotsQuerySchema,
  streamParamsSchema,
  streamSlotParamsSchema,
  verifierSetItemSchema,
} from "./schemas.js";
import {
  type AnchorStatus,
  evidenceToJson,
  observationRecordToJson,
  peerToJson,
  weightsFromAttestations,
  weightsFromGroups,
} from "./views.js";

export const API_VERSION = "1";

export interface ApiOptions {
  /** @default "127.0.0.1": local only until told otherwise */
  host: string;
  /** @default 0: any free port (read the bound URL from start()) */
  port: number;
  /** Token for write routes (`Authorization: Bearer …`); writes are refused while unset. */
  bearerToken?: string;
  /**
   * Largest request body. A SignedCommitment is under 1 KiB of JSON.
   * @default 65536
   */
  bodyLimit: number;
  /** Origins allowed by CORS ("*" for any); no CORS headers when unset. */
  cors?: string[];
  /** SSE comment heartbeat. @default 15000 */
  sseHeartbeatMs: number;
  /** Bytes an SSE client may leave unread before it is dropped. @default 1 MiB */
  sseMaxBufferedBytes: number;
  /** @default 64 */
  sseMaxClients: number;
}

export const defaultApiOptions: ApiOptions = {
  host: "127.0.0.1",
  port: 0,
  bodyLimit: 64 * 1024,
  sseHeartbeatMs: 15_000,
  sseMaxBufferedBytes: 1 << 20,
  sseMaxClients: 64,
};

export interface AnchoredEvent {
  stream: `0x${string}`;
  slot: string;
  outcome: string;
  txHash?: `0x${string}`;
}

export interface ApiModules {
  node: OcpNode;
  logger?: Logger;
  /** Anchoring state of a slot; `{anchored: false}` when absent. */
  anchorStatus?: (stream: Uint8Array, slot: bigint) => Promise<AnchorStatus>;
  /** Subscribes to anchoring results for the `anchored` event; returns the unsubscribe. */
  onAnchored?: (listener: (ev: AnchoredEvent) => void) => () => void;
}

const EVIDENCE_LIMIT_DEFAULT = 100;

// packages/node/dashboard, from src/api or lib/api alike.
const DASHBOARD_DIR = new URL("../../dashboard/", import.meta.url);
const DASHBOARD_ASSETS: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

export class ApiServer {
  readonly opts: ApiOptions;
  private readonly modules: ApiModules;
  private readonly logger: Logger;
  private readonly auth: BearerAuth;
  private readonly hub: EventHub;
  private app: FastifyInstance | undefined;
  private url_: string | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly routes: RouteInfo[] = [];
  private readonly assets = new Map<string, Buffer>();
  private openapi: Record<string, unknown> | undefined;
  private readonly requests: Counter<"route" | "status">;
  private readonly sseDropped: Counter;

  constructor(opts: Partial<ApiOptions>, modules: ApiModules) {
    this.opts = { ...defaultApiOptions, ...opts };
    this.modules = modules;
    this.logger = modules.logger ?? nullLogger;
    this.auth = new BearerAuth(this.opts.bearerToken);
    const registry = modules.node.registry;
    this.requests = existingOr(
      registry.getSingleMetric("ocp_api_requests_total"),
      () =>
        new Counter({
          name: "ocp_api_requests_total",
          help: "API requests by route and status code",
          labelNames: ["route", "status"],
          registers: [registry],
        }),
    );
    this.sseDropped = existingOr(
      registry.getSingleMetric("ocp_api_sse_dropped_total"),
      () =>
        new Counter({
          name: "ocp_api_sse_dropped_total",
          help: "Event-stream clients dropped for not reading",
          registers: [registry],
        }),
    );
    this.hub = new EventHub(
      {
        heartbeatMs: this.opts.sseHeartbeatMs,
        maxBufferedBytes: this.opts.sseMaxBufferedBytes,
        maxClients: this.opts.sseMaxClients,
      },
      { onDrop: () => this.sseDropped.inc() },
    );
  }

  /** The bound base URL, e.g. `http://127.0.0.1:41234`, once started. */
  get url(): string | undefined {
    return this.url_;
  }

  /** Builds the routes, binds, and subscribes to node events; returns the bound URL. */
  async start(): Promise<string> {
    if (this.url_ !== undefined) return this.url_;
    const app = Fastify({
      bodyLimit: this.opts.bodyLimit,
      // Request lines are logged by our hook at debug, without headers (bearer tokens).
      logger: false,
      // SSE streams are long-lived: close() must not wait for them.
      forceCloseConnections: true,
      ajv: {
        // Exact types: "1" is not a number and extra fields are an error, not dropped.
        customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false },
      },
    });
    this.app = app;
    // JSON only: a text/plain body is a 415, not a string that fails the schema.
    app.removeContentTypeParser("text/plain");
    app.addHook("onRoute", (r) => {
      this.routes.push({ method: String(r.method), url: r.url, schema: r.schema as RouteSchema | undefined });
    });
    app.setErrorHandler((err, req, reply) => this.onError(err as FastifyError, req, reply));
    app.setNotFoundHandler((req, reply) => {
      this.sendError(reply, new ApiError(404, ApiErrorCode.NOT_FOUND, `no route ${req.method} ${req.url}`));
    });
    app.addHook("onRequest", async (req, reply) => {
      this.applyCors(req, reply);
    });
    app.addHook("onResponse", async (req, reply) => {
      this.requests.inc({ route: req.routeOptions.url ?? "unknown", status: String(reply.statusCode) });
      this.logger.debug(
        { method: req.method, route: req.routeOptions.url, status: reply.statusCode },
        "api request",
      );
    });
    this.registerRoutes(app);
    await app.ready();

    const events = this.modules.node.events;
    const onCommitment = (sc: SignedCommitment): void =>
      this.hub.publish("commitment", signedCommitmentToJson(sc));
    const onAttestation = (a: Attestation): void => this.hub.publish("attestation", attestationToJson(a));
    const onCertificate = (c: Certificate, meta: { source: string; signedWeight: bigint }): void =>
      this.hub.publish("certificate", {
        certificate: certificateToJson(c),
        source: meta.source,
        signedWeight: meta.signedWeight.toString(),
      });
    const onEvidence = (e: SszEvidence): void => this.hub.publish("evidence", evidenceToJson(e));
    events.on("commitment", onCommitment);
    events.on("attestation", onAttestation);
    events.on("certificate", onCertificate);
    events.on("evidence", onEvidence);
    this.unsubscribe.push(() => {
      events.off("commitment", onCommitment);
      events.off("attestation", onAttestation);
      events.off("certificate", onCertificate);
      events.off("evidence", onEvidence);
    });
    if (this.modules.onAnchored) {
      this.unsubscribe.push(this.modules.onAnchored((ev) => this.hub.publish("anchored", ev)));
    }

    const address = await app.listen({ host: this.opts.host, port: this.opts.port });
    this.url_ = address;
    this.logger.info({ url: address }, "api listening");
    return address;
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    this.hub.close();
    const app = this.app;
    this.app = undefined;
    this.url_ = undefined;
    await app?.close();
  }

  // ---------------------------------------------------------------- routes

  private registerRoutes(app: FastifyInstance): void {
    const node = this.modules.node;
    const read = (summary: string, tags: string[], rest: Partial<RouteSchema> = {}): RouteSchema => ({
      summary,
      tags,
      ...rest,
    });

    // Orchestrator probes: live = this process serves; ready = it can do its
    // job now (each failing condition named, 503 while any fails).
    app.get(
      "/livez",
      { schema: read("Liveness: the process serves requests", ["node"], { response: { 200: livezSchema } }) },
      async () => ({ status: "live" }),
    );

    app.get(
      "/readyz",
      {
        schema: read(
          "Readiness: L1 head fresh, keys loaded, enough peers, database writable, doppelganger window over",
          ["node"],
          { response: { 200: readyzSchema, 503: readyzSchema } },
        ),
      },
      async (_req, reply) => {
        const r = await checkReadiness(node);
        reply.code(r.ready ? 200 : 503);
        return { status: r.ready ? "ready" : "unready", failing: r.failing };
      },
    );

    app.get(
      "/v1/node/health",
      { schema: read("Node health", ["node"], { response: { 200: healthSchema, ...errorResponses } }) },
      async () => this.health(),
    );

    app.get(
      "/v1/node/identity",
      { schema: read("Node identity", ["node"], { response: { 200: identitySchema, ...errorResponses } }) },
      async () => ({
        apiVersion: API_VERSION,
        peerId: this.running(() => node.peerId),
        multiaddrs: this.running(() => node.multiaddrs),
        network: this.running(() => node.network.opts.network),
        domain: domainToJson(node.domain),
        streams: node.streams.map((s) => ({
          name: s.name,
          id: toHex(s.id),
          l1ChainId: s.l1ChainId,
          tableContract: s.tableContract.toLowerCase(),
        })),
        verifierPubkeys: node.validators.pubkeys.map((p) => toHex(p)),
      }),
    );

    app.get(
      "/v1/sets",
      {
        schema: read("Verifier sets this node holds (keys, weights, quorum), by activation slot", ["node"], {
          response: { 200: { type: "array", items: verifierSetItemSchema }, ...errorResponses },
        }),
      },
      async () =>
        [...node.sets.values()]
          .sort((a, b) =>
            a.activationSlot < b.activationSlot ? -1 : a.activationSlot > b.activationSlot ? 1 : 0,
          )
          .map((set) => ({
            setId: set.setIdHex,
            epoch: set.epoch.toString(),
            activationSlot: set.activationSlot.toString(),
            quorum: { numerator: set.quorum.numerator, denominator: set.quorum.denominator },
            totalWeight: set.totalWeight.toString(),
            verifiers: set.verifiers.map((v) => ({ pubkey: toHex(v.pubkey), weight: v.weight.toString() })),
          })),
    );

    app.get(
      "/v1/node/peers",
      {
        schema: read("Connected peers", ["node"], {
          response: { 200: { type: "array", items: peerSchema }, ...errorResponses },
        }),
      },
      async () => this.running(() => node.network.getPeers()).map(peerToJson),
    );

    app.get<{ Params: { stream: string; slot: string } }>(
      "/v1/streams/:stream/slots/:slot",
      {
        schema: read(
          "A slot: commitments, own observation, attestation weight by root, certificate, anchor status",
          ["streams"],
          { params: streamSlotParamsSchema, response: { 200: slotSchema, ...errorResponses } },
        ),
      },
      async (req) => this.slotView(this.stream(req.params.stream), parseSlot(req.params.slot)),
    );

    app.get<{ Params: { stream: string }; Querystring: { toSlot?: string; limit?: string } }>(
      "/v1/streams/:stream/slots",
      {
        schema: read(
          "Recent slots this node knows anything about, newest first (the slot view of each); reads back `limit` slots from `toSlot`",
          ["streams"],
          {
            params: streamParamsSchema,
            querystring: slotsQuerySchema,
            response: { 200: { type: "array", items: slotSchema }, ...errorResponses },
          },
        ),
      },
      async (req) => {
        const stream = this.stream(req.params.stream);
        const limit = req.query.limit === undefined ? 32 : Number(req.query.limit);
        if (limit > SLOTS_SCAN_MAX) {
          throw new ApiError(400, ApiErrorCode.INVALID_REQUEST, `limit must be ≤ ${SLOTS_SCAN_MAX}`);
        }
        const to = req.query.toSlot === undefined ? node.clock.currentSlot() : parseSlot(req.query.toSlot);
        const out: Record<string, unknown>[] = [];
        if (to === null) return out;
        for (let slot = to; slot >= 0n && to - slot < BigInt(limit); slot--) {
          const view = await this.slotView(stream, slot).catch((e: unknown) => {
            if (e instanceof ApiError && e.statusCode === 404) return null;
            throw e;
          });
          if (view !== null) out.push(view);
        }
        return out;
      },
    );

    app.get<{ Params: { stream: string; slot: string } }>(
      "/v1/streams/:stream/certificates/:slot",
      {
        schema: read("The best certificate held for a slot", ["streams"], {
          params: streamSlotParamsSchema,
          response: { 200: certificateSchema, ...errorResponses },
        }),
      },
      async (req) => {
        const stream = this.stream(req.params.stream);
        const slot = parseSlot(req.params.slot);
        const cert = await node.bestCertificate(stream, slot);
        if (!cert) throw new ApiError(404, ApiErrorCode.NOT_FOUND, `no certificate for slot ${slot}`);
        return certificateToJson(cert);
      },
    );

    app.get<{ Querystring: { stream?: string; fromSlot?: string; limit?: string } }>(
      "/v1/evidence",
      {
        schema: read("Equivocation evidence held", ["evidence"], {
          querystring: evidenceQuerySchema,
          response: { 200: { type: "array", items: evidenceItemSchema }, ...errorResponses },
        }),
      },
      async (req) => {
        const streams = req.query.stream === undefined ? node.streams : [this.stream(req.query.stream)];
        const from = req.query.fromSlot === undefined ? 0n : parseSlot(req.query.fromSlot);
        const limit = req.query.limit === undefined ? EVIDENCE_LIMIT_DEFAULT : Number(req.query.limit);
        if (limit > 1000) throw new ApiError(400, ApiErrorCode.INVALID_REQUEST, "limit must be ≤ 1000");
        const out: Record<string, unknown>[] = [];
        for (const s of streams) {
          if (out.length >= limit) break;
          const items = await node.db.evidence.range(s.id, from, undefined, limit - out.length);
          for (const e of items) out.push(evidenceToJson(e));
        }
        return out;
      },
    );

    app.post<{ Body: unknown }>(
      "/v1/commitments",
      {
        schema: read(
          "Submit a builder's signed commitment (validated like gossip, then published)",
          ["commitments"],
          {
            body: signedCommitmentSchema,
            response: { 202: acceptedSchema, ...errorResponses },
            security: "bearer",
          },
        ),
        // Before the body is read: an unauthenticated client costs no parsing.
        onRequest: async (req) => this.requireToken(req),
      },
      async (req, reply) => {
        let signed: SignedCommitment;
        try {
          signed = parseSignedCommitmentJson(req.body);
        } catch (e) {
          if (isProtocolError(e)) throw new ApiError(400, e.code, e.detail ?? e.code);
          throw e;
        }
        try {
          await node.submitCommitment(signed);
        } catch (e) {
          // Gossip validation (REJECT or IGNORE): the client's commitment, not our fault.
          if (isGossipActionError(e)) throw new ApiError(400, e.code, e.detail ?? e.message);
          throw e;
        }
        reply.code(202);
        return { status: "accepted" };
      },
    );

    app.get<{ Querystring: { topics?: string } }>(
      "/v1/events",
      {
        schema: read(
          "Server-sent events: commitment, attestation, certificate, anchored, evidence",
          ["events"],
          { querystring: eventsQuerySchema, produces: "text/event-stream" },
        ),
      },
      async (req, reply) => {
        if (this.hub.full) throw new ApiError(503, ApiErrorCode.TOO_MANY_CLIENTS, "too many event clients");
        const topics = new Set<EventTopic>(
          req.query.topics === undefined ? EVENT_TOPICS : (req.query.topics.split(",") as EventTopic[]),
        );
        reply.hijack();
        this.hub.add(reply.raw, topics, corsHeaders(this.opts.cors, req.headers.origin));
      },
    );

    app.get(
      "/metrics",
      { schema: read("Prometheus metrics", ["metrics"], { produces: "text/plain" }) },
      async (_req, reply) => {
        const text = await node.registry.metrics();
        reply.type(node.registry.contentType);
        return text;
      },
    );

    app.get(
      "/openapi.json",
      { schema: read("This API's OpenAPI 3.1 description", ["meta"], { produces: "application/json" }) },
      async () => {
        this.openapi ??= buildOpenApi(
          { title: "ocp node API", version: API_VERSION, description: "Per-node HTTP API of an ocp node" },
          this.routes,
        );
        return this.openapi;
      },
    );

    // The dashboard: static files shipped with the package, no schema (not API
    // surface). It reads only the public routes above.
    app.get("/", async (_req, reply) => this.sendAsset(reply, "index.html"));
    app.get<{ Params: { file: string } }>("/dashboard/:file", async (req, reply) =>
      this.sendAsset(reply, req.params.file),
    );

    if (this.opts.cors !== undefined) {
      // Preflight for browsers; hidden from the description (no schema).
      app.options("/*", async (_req, reply) => {
        reply.code(204);
        return "";
      });
    }
  }

  // ---------------------------------------------------------------- handlers

  private async sendAsset(reply: FastifyReply, file: string): Promise<Buffer> {
    const type = DASHBOARD_ASSETS[file];
    if (type === undefined) throw new ApiError(404, ApiErrorCode.NOT_FOUND, `no dashboard file ${file}`);
    let body = this.assets.get(file);
    if (body === undefined) {
      body = await readFile(new URL(file, DASHBOARD_DIR));
      this.assets.set(file, body);
    }
    // Same-origin only: the page loads nothing from elsewhere and works offline.
    reply
      .type(type)
      .header(
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
      )
      .header("x-content-type-options", "nosniff")
      .header("cache-control", "no-cache");
    return body;
  }

  private async health(): Promise<Record<string, unknown>> {
    const node = this.modules.node;
    const head = node.clock.currentSlot();
    const peers = this.running(() => node.network.getPeers().length);
    let last: bigint | undefined;
    for (const s of node.streams) {
      const cert = await node.db.certificates.latest(s.id);
      if (cert && (last === undefined || cert.observation.slot > last)) last = cert.observation.slot;
    }
    return {
      status: head !== null && peers > 0 ? "ok" : "degraded",
      headSlot: head === null ? null : head.toString(),
      peers,
      lastCertifiedSlot: last === undefined ? null : last.toString(),
      anchorBacklog: node.anchor?.backlog ?? null,
    };
  }

  private async slotView(stream: StreamContext, slot: bigint): Promise<Record<string, unknown>> {
    const node = this.modules.node;
    const [commitments, record, cert, atts] = await Promise.all([
      node.db.commitments.bySlot(stream.id, slot),
      node.db.observations.getOwn(stream.id, slot),
      node.bestCertificate(stream, slot),
      node.db.attestations.bySlot(stream.id, slot),
    ]);
    const groups = this.running(() =>
      node.chain.pools.attestations.groups(slotKey(domainKey(node.domain), toHex(stream.id), slot)),
    );
    // The pool holds recent slots with arrival order; older ones come from the db.
    const weights = groups.length > 0 ? weightsFromGroups(groups) : weightsFromAttestations(atts, node.sets);
    if (commitments.length === 0 && !record && !cert && weights.length === 0) {
      throw new ApiError(404, ApiErrorCode.NOT_FOUND, `nothing known for slot ${slot}`);
    }
    let anchor = (await this.modules.anchorStatus?.(stream.id, slot)) ?? { anchored: false };
    // Anchored by another anchorer: this node holds no receipt, but an
    // anchorer can ask the contract (an eth_call, only for certified slots).
    if (!anchor.anchored && cert && node.anchor) {
      const root = await node.anchor.anchoredRoot(stream.id, slot).catch(() => undefined);
      if (root !== undefined) anchor = { anchored: true, outcome: "anchored-elsewhere" };
    }
    return {
      stream: toHex(stream.id),
      slot: slot.toString(),
      commitments: commitments.map(signedCommitmentToJson),
      observation: record ? observationRecordToJson(record) : null,
      attestations: weights,
      certificate: cert ? certificateToJson(cert) : null,
      anchor,
    };
  }

  /** A configured stream by 0x-hex id or name; 404 otherwise. */
  private stream(param: string): StreamContext {
    const node = this.modules.node;
    if (/^0x[0-9a-fA-F]{64}$/.test(param)) {
      const id = fromHex(param.toLowerCase() as `0x${string}`, 32);
      const s = node.streams.find((x) => toHex(x.id) === toHex(id));
      if (s) return s;
    } else {
      const s = node.streams.find((x) => x.name === param);
      if (s) return s;
    }
    throw new ApiError(404, ApiErrorCode.UNKNOWN_STREAM, `unknown stream "${param}"`);
  }

  private async requireToken(req: FastifyRequest): Promise<void> {
    if (!this.auth.enabled) {
      throw new ApiError(
        403,
        ApiErrorCode.WRITES_DISABLED,
        "no bearer token configured: writes are disabled",
      );
    }
    if (!this.auth.check(req.headers.authorization)) {
      throw new ApiError(401, ApiErrorCode.UNAUTHORIZED, "missing or wrong bearer token");
    }
  }

  /** Node parts that exist only while it runs (network, chain): 503 otherwise. */
  private running<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw new ApiError(503, ApiErrorCode.NOT_READY, e instanceof Error ? e.message : String(e));
    }
  }

  // ---------------------------------------------------------------- errors

  private onError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
    this.sendError(reply, this.classify(err, req));
  }

  private classify(err: FastifyError | Error, req: FastifyRequest): ApiError {
    if (isApiError(err)) return err;
    const fe = err as FastifyError;
    if (fe.validation !== undefined) {
      return new ApiError(400, ApiErrorCode.INVALID_REQUEST, fe.message);
    }
    switch (fe.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return new ApiError(413, ApiErrorCode.BODY_TOO_LARGE, `body over ${this.opts.bodyLimit} bytes`);
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return new ApiError(415, ApiErrorCode.UNSUPPORTED_MEDIA_TYPE, "send application/json");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return new ApiError(400, ApiErrorCode.INVALID_JSON, fe.message);
    }
    // Other client-side failures fastify or the parser flag (bad content-length,
    // prototype poisoning, JSON syntax): a 4xx of theirs, never a 500.
    const status = fe.statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      const code =
        err instanceof SyntaxError || status === 400
          ? ApiErrorCode.INVALID_JSON
          : ApiErrorCode.INVALID_REQUEST;
      return new ApiError(status, status === 413 ? ApiErrorCode.BODY_TOO_LARGE : code, fe.message);
    }
    this.logger.error(
      { err: String(err), method: req.method, route: req.routeOptions.url },
      "api handler failed",
    );
    return new ApiError(500, ApiErrorCode.INTERNAL, "internal error");
  }

  private sendError(reply: FastifyReply, e: ApiError): void {
    if (e.statusCode === 401) reply.header("www-authenticate", "Bearer");
    reply
      .code(e.statusCode)
      .type("application/json")
      .send({ code: e.code, message: e.detail ?? e.code });
  }

  private applyCors(req: FastifyRequest, reply: FastifyReply): void {
    const h = corsHeaders(this.opts.cors, req.headers.origin);
    for (const [k, v] of Object.entries(h)) reply.header(k, v);
  }
}

function corsHeaders(allowed: string[] | undefined, origin: string | undefined): Record<string, string> {
  if (allowed === undefined || origin === undefined) return {};
  const any = allowed.includes("*");
  if (!any && !allowed.includes(origin)) return {};
  return {
    "access-control-allow-origin": any ? "*" : origin,
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type",
    ...(any ? {} : { vary: "origin" }),
  };
}

/** A decimal uint64 slot (the schema already checked the digits). */
function parseSlot(s: string): bigint {
  const v = BigInt(s);
  if (v > UINT64_MAX) throw new ApiError(400, ApiErrorCode.INVALID_REQUEST, "slot above uint64");
  return v;
}

function existingOr<T>(existing: unknown, make: () => T): T {
  return existing === undefined ? make() : (existing as T);
}
