export * from "./anchor/index.js";
export * from "./api/index.js";
export * from "./chain/clock.js";
export * from "./chain/index.js";
export * from "./chain/tableBytes.js";
export * from "./checkers/index.js";
export * from "./db/index.js";
export {
  ANVIL_PRIVATE_KEYS,
  type Anvil,
  type AnvilOptions,
  anvilBinary,
  startAnvil,
} from "./devnet/anvil.js";
export { orchestratorCalldata } from "./devnet/orchestrator.js";
export { type BoundSnapshot, type BoundsReport, boundsExceeded } from "./metrics/bounds.js";
export { type CounterVec, createCounterVec } from "./metrics/counter.js";
export { createNetworkMetrics, type NetworkMetrics } from "./metrics/network.js";
export * from "./metrics/node.js";
export * from "./network/index.js";
export * from "./node.js";
export * from "./options.js";
export * from "./signer/index.js";
export * from "./util/index.js";
