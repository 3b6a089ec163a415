// @ocp/protocol: pure protocol library (no network, no disk).

export * from "./bitfield.js";
export * from "./bls/index.js";
export * from "./builder.js";
export * from "./certificate.js";
export * from "./eip712.js";
export * from "./eip2537.js";
export * from "./errors.js";
export * from "./evidence.js";
export * from "./hex.js";
export * from "./json.js";
export * from "./schemas/index.js";
export * from "./sets.js";
export * from "./ssz/index.js";
export * from "./stream.js";
export * from "./types.js";
