// SSZ wire codecs of docs/spec.md §5: container types, conversions, encode/decode with
// typed errors, and table framing.
export * from "./codec.js";
export * from "./convert.js";
export * from "./errors.js";
export { checkSszShape } from "./shape.js";
export * from "./table.js";
export * from "./types.js";
