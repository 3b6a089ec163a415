// The node's HTTP API (fastify): read routes over narrow views of the node
// (api/interfaces.ts), the bearer-protected commitment submission,
// server-sent events, /metrics and /openapi.json. Binds 127.0.0.1 unless told otherwise.
import { readFile } from "node:fs/promises";
import {
  attestationToJson,
  certificateToJson,
  isProtocolError,
  parseSignedCommitmentJson,
  type SignedCommitment,
  signedCommitmentToJson,
} from "@ocp/protocol";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { isGossipActionError } from "../network/errors.js";
import { type Logger, nullLogger } from "../util/logger.js";
import { BearerAuth } from "./auth.js";
import { ApiError, ApiErrorCode } from "./errors.js";
import { EVENT_TOPICS, EventHub, type EventTopic } from "./events.js";
import {
  API_VERSION,
  type ApiReadSources,
  evidenceList,
  findStream,
  health,
  identity,
  recentSlots,
  slotView,
  verifierSets,
} from "./handlers.js";
import { classifyError, corsHeaders, parseSlot, sendError } from "./http.js";
import type { ApiEventSource, ApiMetrics, Readiness } from "./interfaces.js";
import { buildOpenApi, type RouteInfo, type RouteSchema } from "./openapi.js";
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
  signedCommitmentSchema,
  slotSchema,
  slotsQuerySchema,
  streamParamsSchema,
  streamSlotParamsSchema,
  verifierSetItemSchema,
} from "./schemas.js";
import { evidenceToJson, peerToJson } from "./views.js";

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

/** The node as the API sees it: `{chain, db, network, clock, validators, metrics}` and a few hooks. */
export interface ApiModules extends ApiReadSources {
  /** Series the API counts and the registry /metrics serves; null: no /metrics. */
  metrics: ApiMetrics | null;
  /** /readyz: every readiness condition checked (api/readiness.ts). */
  readiness: () => Promise<Readiness>;
  /** The node's events, for the event stream. */
  events: ApiEventSource;
  logger?: Logger;
}

const EVIDENCE_LIMIT_DEFAULT = 100;

/** Ajv options of the API's schemas: exact types ("1" is not a number), extra fields an error, not dropped. */
export const API_AJV_OPTIONS = { coerceTypes: false, removeAdditional: false, allErrors: false } as const;

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

  constructor(opts: Partial<ApiOptions>, modules: ApiModules) {
    this.opts = { ...defaultApiOptions, ...opts };
    this.modules = modules;
    this.logger = modules.logger ?? nullLogger;
    this.auth = new BearerAuth(this.opts.bearerToken);
    this.hub = new EventHub(
      {
        heartbeatMs: this.opts.sseHeartbeatMs,
        maxBufferedBytes: this.opts.sseMaxBufferedBytes,
        maxClients: this.opts.sseMaxClients,
      },
      { onDrop: () => this.modules.metrics?.sseDropped.inc() },
    );
  }

  /** The bound base URL, e.g. `http://127.0.0.1:41234`, once started. */
  get url(): string | undefined {
    return this.url_;
  }

  /** Builds the routes, binds, and subscribes to node events; returns the bound URL. */
  async start(): Promise<string> {
    if (this.url_ !== undefined) return this.url_;
    const app = await this.build();
    const address = await app.listen({ host: this.opts.host, port: this.opts.port });
    this.url_ = address;
    this.logger.info({ url: address }, "api listening");
    return address;
  }

  /**
   * The routes, ready and subscribed to node events but not bound: start()
   * binds it; tests send it requests with `inject`.
   */
  async build(): Promise<FastifyInstance> {
    if (this.app !== undefined) return this.app;
    const app = Fastify({
      bodyLimit: this.opts.bodyLimit,
      // Request lines are logged by our hook at debug, without headers (bearer tokens).
      logger: false,
      // SSE streams are long-lived: close() must not wait for them.
      forceCloseConnections: true,
      ajv: { customOptions: API_AJV_OPTIONS },
    });
    this.app = app;
    // JSON only: a text/plain body is a 415, not a string that fails the schema.
    app.removeContentTypeParser("text/plain");
    app.addHook("onRoute", (r) => {
      this.routes.push({ method: String(r.method), url: r.url, schema: r.schema as RouteSchema | undefined });
    });
    app.setErrorHandler((err, req, reply) =>
      sendError(
        reply,
        classifyError(err as FastifyError, req, { bodyLimit: this.opts.bodyLimit, logger: this.logger }),
      ),
    );
    app.setNotFoundHandler((req, reply) => {
      sendError(reply, new ApiError(404, ApiErrorCode.NOT_FOUND, `no route ${req.method} ${req.url}`));
    });
    app.addHook("onRequest", async (req, reply) => {
      this.applyCors(req, reply);
    });
    app.addHook("onResponse", async (req, reply) => {
      this.modules.metrics?.requests.inc({
        route: req.routeOptions.url ?? "unknown",
        status: String(reply.statusCode),
      });
      this.logger.debug(
        { method: req.method, route: req.routeOptions.url, status: reply.statusCode },
        "api request",
      );
    });
    this.registerRoutes(app);
    await app.ready();

    this.unsubscribe.push(
      this.modules.events({
        commitment: (sc) => this.hub.publish("commitment", signedCommitmentToJson(sc)),
        attestation: (a) => this.hub.publish("attestation", attestationToJson(a)),
        certificate: (c, meta) =>
          this.hub.publish("certificate", {
            certificate: certificateToJson(c),
            source: meta.source,
            signedWeight: meta.signedWeight.toString(),
          }),
        evidence: (e) => this.hub.publish("evidence", evidenceToJson(e)),
        anchored: (ev) => this.hub.publish("anchored", ev),
      }),
    );
    return app;
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
    const m = this.modules;
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
        const r = await m.readiness();
        reply.code(r.ready ? 200 : 503);
        return { status: r.ready ? "ready" : "unready", failing: r.failing };
      },
    );

    app.get(
      "/v1/node/health",
      { schema: read("Node health", ["node"], { response: { 200: healthSchema, ...errorResponses } }) },
      async () => health(m),
    );

    app.get(
      "/v1/node/identity",
      { schema: read("Node identity", ["node"], { response: { 200: identitySchema, ...errorResponses } }) },
      async () => identity(m),
    );

    app.get(
      "/v1/sets",
      {
        schema: read("Verifier sets this node holds (keys, weights, quorum), by activation slot", ["node"], {
          response: { 200: { type: "array", items: verifierSetItemSchema }, ...errorResponses },
        }),
      },
      async () => verifierSets(m),
    );

    app.get(
      "/v1/node/peers",
      {
        schema: read("Connected peers", ["node"], {
          response: { 200: { type: "array", items: peerSchema }, ...errorResponses },
        }),
      },
      async () => m.network.getPeers().map(peerToJson),
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
      async (req) => slotView(m, findStream(m.chain.streams, req.params.stream), parseSlot(req.params.slot)),
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
      async (req) =>
        recentSlots(
          m,
          findStream(m.chain.streams, req.params.stream),
          req.query.toSlot === undefined ? undefined : parseSlot(req.query.toSlot),
          req.query.limit === undefined ? undefined : Number(req.query.limit),
        ),
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
        const stream = findStream(m.chain.streams, req.params.stream);
        const slot = parseSlot(req.params.slot);
        const cert = await m.chain.bestCertificate(stream, slot);
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
        const streams =
          req.query.stream === undefined ? m.chain.streams : [findStream(m.chain.streams, req.query.stream)];
        const from = req.query.fromSlot === undefined ? 0n : parseSlot(req.query.fromSlot);
        const limit = req.query.limit === undefined ? EVIDENCE_LIMIT_DEFAULT : Number(req.query.limit);
        if (limit > 1000) throw new ApiError(400, ApiErrorCode.INVALID_REQUEST, "limit must be ≤ 1000");
        return evidenceList(m, streams, from, limit);
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
          await m.chain.submitCommitment(signed);
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
        const registry = m.metrics?.registry;
        if (registry === undefined)
          throw new ApiError(404, ApiErrorCode.NOT_FOUND, "metrics are not collected");
        const text = await registry.metrics();
        reply.type(registry.contentType);
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

  private applyCors(req: FastifyRequest, reply: FastifyReply): void {
    const h = corsHeaders(this.opts.cors, req.headers.origin);
    for (const [k, v] of Object.entries(h)) reply.header(k, v);
  }
}
