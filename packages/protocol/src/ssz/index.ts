// SSZ wire codecs of docs/spec.md §5: container types (the wire types' definitions), encode/decode with
// typed errors, and table framing.
export * from "./codec.js";
export * from "./errors.js";
export { checkSszShape } from "./shape.js";
export * from "./table.js";
export * from "./types.js";
export { assertSszValue } from "./value.js";
