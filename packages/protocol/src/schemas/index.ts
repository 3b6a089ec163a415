// Table schemas: turn a slot's table into (tableDigest, entryCount) (docs/spec.md §4).
export * from "./abi.js";
export * from "./calldata.js";
export * from "./eez.js";
export { keccak256Bulk, keccakReady } from "./keccak.js";
export * from "./merkle.js";
