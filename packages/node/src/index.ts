// @ocp/node main entry: the daemon and its components. Kept lean so a verifier
// process loads neither viem nor fastify: the anchor client, the HTTP API and
// the devnet helpers live behind "@ocp/node/anchor", "@ocp/node/api" and
// "@ocp/node/devnet" (the node loads the first two itself when configured).
export type { AnchorOptions } from "./anchor/service.js";
export type { AnchoredEvent } from "./api/interfaces.js";
export type { ApiOptions } from "./api/server.js";
export * from "./chain/clock.js";
export * from "./chain/index.js";
export * from "./chain/tableBytes.js";
export * from "./checkers/index.js";
export * from "./db/index.js";
export { type BoundSnapshot, type BoundsReport, boundsExceeded } from "./metrics/bounds.js";
export * from "./metrics/metrics.js";
export { createNetworkMetrics, type NetworkMetrics } from "./metrics/network.js";
export * from "./metrics/node.js";
export * from "./network/index.js";
export * from "./node.js";
export * from "./options.js";
export * from "./runtime.js";
export * from "./signer/index.js";
export * from "./util/index.js";
