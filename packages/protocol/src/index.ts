// @ocp/protocol: the protocol library (no network, no disk) with the native
// blst backend as its default. Light clients import @ocp/protocol/light, which
// never loads the native addon.
import { blstBls } from "./bls/blst.js";
import { type BuildVerifierSetOptions, buildVerifierSetWith, type VerifierSet } from "./sets.js";
import type { VerifierSetData } from "./types.js";

export { blstBls, uncompressedSignature } from "./bls/blst.js";
export { getBls } from "./bls/index.js";
export { hkdfModR, nobleBls } from "./bls/noble.js";
export * from "./core.js";

/** Validates set data and decodes its keys with `opts.bls`, else blst; throws only ProtocolError<SetErrorCode>. */
export function buildVerifierSet(data: VerifierSetData, opts: BuildVerifierSetOptions = {}): VerifierSet {
  return buildVerifierSetWith(opts.bls ?? blstBls, data);
}
