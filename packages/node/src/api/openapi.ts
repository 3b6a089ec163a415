// Builds the OpenAPI 3.1 document from the routes' own fastify schemas, so the
// published description cannot drift from what the server validates.
import type { JsonSchema } from "./schemas.js";

/** What a route declares in its fastify `schema` (only the parts we read). */
export interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  response?: Record<string, JsonSchema>;
  /** Non-JSON success media type (text/event-stream, Prometheus text). */
  produces?: string;
  /** The route needs the bearer token. */
  security?: "bearer";
}

export interface RouteInfo {
  method: string;
  url: string;
  schema: RouteSchema | undefined;
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

type Json = Record<string, unknown>;

/** `/v1/streams/:stream/slots/:slot` → `/v1/streams/{stream}/slots/{slot}` */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function parameters(where: "path" | "query", schema: JsonSchema | undefined): Json[] {
  if (!schema) return [];
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s as Json;
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}

function responseDescription(status: string): string {
  if (status.startsWith("2")) return "Success";
  if (status === "4xx") return "Client error";
  if (status === "5xx") return "Server error";
  return `Status ${status}`;
}

export function buildOpenApi(info: OpenApiInfo, routes: readonly RouteInfo[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  let needsBearer = false;
  for (const r of routes) {
    // Routes without a schema (the dashboard's files, CORS preflight) are not API surface.
    if (r.schema === undefined) continue;
    const methods = (Array.isArray(r.method) ? r.method : [r.method]) as string[];
    for (const m of methods) {
      const method = m.toLowerCase();
      if (method === "head" || method === "options") continue;
      const s = r.schema ?? {};
      const responses: Record<string, Json> = {};
      for (const [status, schema] of Object.entries(s.response ?? {})) {
        responses[status.toUpperCase()] = {
          description: responseDescription(status),
          content: { "application/json": { schema } },
        };
      }
      if (s.produces !== undefined) {
        responses["200"] = {
          description: "Success",
          content: { [s.produces]: { schema: { type: "string" } } },
        };
      }
      const op: Json = {
        operationId: `${method}${openApiPath(r.url).replace(/[^A-Za-z0-9]+(.)?/g, (_, c?: string) => (c ? c.toUpperCase() : ""))}`,
        ...(s.summary === undefined ? {} : { summary: s.summary }),
        ...(s.description === undefined ? {} : { description: s.description }),
        ...(s.tags === undefined ? {} : { tags: s.tags }),
        parameters: [...parameters("path", s.params), ...parameters("query", s.querystring)],
        ...(s.body === undefined
          ? {}
          : { requestBody: { required: true, content: { "application/json": { schema: s.body } } } }),
        responses,
      };
      if (s.security === "bearer") {
        op.security = [{ bearerAuth: [] }];
        needsBearer = true;
      }
      const path = openApiPath(r.url);
      paths[path] ??= {};
      paths[path][method] = op;
    }
  }
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: "3.1.0",
    info,
    paths: sorted,
    ...(needsBearer
      ? { components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } } }
      : {}),
  };
}
