// The node's HTTP API: fastify server, JSON schemas, OpenAPI generator, SSE.
export * from "./auth.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./handlers.js";
export * from "./interfaces.js";
export * from "./openapi.js";
export * from "./readiness.js";
export * from "./schemas.js";
export * from "./server.js";
export { type AnchorStatus, anchorStatusFromReceipts, type RootWeightJson } from "./views.js";
