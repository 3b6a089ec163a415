// BLS entry point: the interface, both backends, and the default (blst).
import { blstBls } from "./blst.js";
import type { BlsBackend } from "./interface.js";

export { blstBls } from "./blst.js";
export * from "./interface.js";
export { hkdfModR, nobleBls } from "./noble.js";

/** The default backend: native blst. */
export function getBls(): BlsBackend {
  return blstBls;
}
