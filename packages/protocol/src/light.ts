// @ocp/protocol/light: the protocol for light clients. BLS runs on
// noble-curves (pure JavaScript) and the native @chainsafe/blst addon is never
// loaded, so it may be missing: verifying a certificate needs nothing native.
import { nobleBls } from "./bls/noble.js";
import { type BuildVerifierSetOptions, buildVerifierSetWith, type VerifierSet } from "./sets.js";
import type { VerifierSetData } from "./types.js";

export { hkdfModR, nobleBls } from "./bls/noble.js";
export * from "./core.js";

/** Validates set data and decodes its keys with `opts.bls`, else noble; throws only ProtocolError<SetErrorCode>. */
export function buildVerifierSet(data: VerifierSetData, opts: BuildVerifierSetOptions = {}): VerifierSet {
  return buildVerifierSetWith(opts.bls ?? nobleBls, data);
}
