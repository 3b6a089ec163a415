// A light client checking a certificate from its JSON form: noble-curves only,
// no native addon. Shown in packages/protocol/README.md.
import {
  buildVerifierSet,
  parseCertificateJson,
  parseVerifierSetJson,
  toHex,
  verifyCertificate,
} from "@ocp/protocol/light";

/** Returns the certificate's signed weight, or throws with the reason it was rejected. */
export function checkCertificate(certificateJson: unknown, verifierSetJsons: unknown[]): bigint {
  const sets = verifierSetJsons.map((j) => buildVerifierSet(parseVerifierSetJson(j)));
  const certificate = parseCertificateJson(certificateJson);
  const r = verifyCertificate(certificate, sets);
  if (!r.ok) throw new Error(`certificate rejected: ${r.code} ${r.detail ?? ""}`);
  const { slot, tableDigest } = certificate.observation;
  console.log(`slot ${slot}: table ${toHex(tableDigest)} certified`);
  return r.value.signedWeight;
}
