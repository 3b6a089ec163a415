// @ocp/protocol: pure protocol library (no network, no disk).
export * from "./errors.js";
export * from "./hex.js";
export * from "./types.js";
