// Certificate verification cost: our verifyCertificate on a 100-signer
// certificate against raw blst fastAggregateVerify on the same bytes.
import * as blst from "@chainsafe/blst";
import {
  blstBls,
  buildCertificate,
  buildVerifierSet,
  certificateToJson,
  nobleBls,
  observationRoot,
  parseCertificateJson,
  parseJsonText,
  parseVerifierSetJson,
  VerifierSetRegistry,
  verifierSetToJson,
  verifyCertificate,
} from "@ocp/protocol";

const N = 100;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fixture() {
  const sks = Array.from({ length: N }, (_, i) => {
    const ikm = new Uint8Array(32).fill(7);
    new DataView(ikm.buffer).setUint32(0, i + 1);
    return blstBls.keygen(ikm);
  });
  const setData = {
    epoch: 3n,
    activationSlot: 0n,
    quorum: { numerator: 2, denominator: 3 },
    verifiers: sks.map((sk) => ({
      pubkey: blstBls.publicKeyToBytes(blstBls.publicKey(sk)),
      weight: 1n,
      pop: blstBls.popProve(sk),
    })),
  };
  // The set as a node loads it: from its JSON form, validated once.
  const set = buildVerifierSet(parseVerifierSetJson(JSON.parse(JSON.stringify(verifierSetToJson(setData)))));
  const domain = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xab) };
  const observation = {
    stream: new Uint8Array(32).fill(1),
    slot: 1000n,
    l1BlockNumber: 1000n,
    l1BlockHash: new Uint8Array(32).fill(2),
    schema: new Uint8Array(32).fill(3),
    tableDigest: new Uint8Array(32).fill(4),
    entryCount: 5,
  };
  const root = observationRoot(domain, observation);
  const attestations = sks.map((sk, i) => ({
    domain,
    observation,
    setId: set.setId,
    verifierIndex: i,
    signature: blstBls.sign(sk, root),
  }));
  const text = JSON.stringify(certificateToJson(buildCertificate(attestations, set)));
  const cert = parseCertificateJson(parseJsonText(new TextDecoder().decode(new TextEncoder().encode(text))));
  return { set, cert, root };
}

export async function run() {
  const { set, cert, root } = fixture();
  const registry = new VerifierSetRegistry([set]);
  // Raw baseline: the set's pre-decoded blst keys, signature decoded and validated per call.
  // blstBls keys are blst PublicKey objects behind the opaque handle type.
  const pks = /** @type {import("@chainsafe/blst").PublicKey[]} */ (/** @type {unknown} */ (set.pubkeys));

  const ours = () => {
    const r = verifyCertificate(cert, registry);
    if (!r.ok) throw new Error(`certificate rejected: ${r.code}`);
  };
  const raw = () => {
    const sig = blst.Signature.fromBytes(cert.aggregateSignature, true);
    if (!blst.fastAggregateVerify(root, pks, sig, false)) throw new Error("raw verify failed");
  };

  for (let i = 0; i < 50; i++) {
    ours();
    raw();
  }
  // Interleaved so that frequency drift and GC hit both sides alike.
  const tOurs = [];
  const tRaw = [];
  for (let i = 0; i < 400; i++) {
    let t = performance.now();
    ours();
    tOurs.push(performance.now() - t);
    t = performance.now();
    raw();
    tRaw.push(performance.now() - t);
  }
  const mOurs = median(tOurs);
  const mRaw = median(tRaw);

  // Single-signature verify, both backends (noble is slow: few iterations).
  const sk = blstBls.keygen(new Uint8Array(32).fill(9));
  const msg = new Uint8Array(32).fill(5);
  const sigBytes = blstBls.sign(sk, msg);
  const perBackend = {};
  /** @type {[import("@ocp/protocol").BlsBackend, number][]} */
  const backends = [
    [blstBls, 200],
    [nobleBls, 8],
  ];
  for (const [bls, iters] of backends) {
    const pk = bls.publicKeyFromBytes(blstBls.publicKeyToBytes(blstBls.publicKey(sk)));
    const times = [];
    for (let i = 0; i < iters + 2; i++) {
      const t = performance.now();
      const ok = bls.verify(pk, msg, bls.signatureFromBytes(sigBytes));
      if (!ok) throw new Error(`${bls.name} verify failed`);
      if (i >= 2) times.push(performance.now() - t);
    }
    perBackend[bls.name] = median(times);
  }

  return {
    "protocol.cert_verify_100.overhead_vs_raw_blst": Number((mOurs / mRaw - 1).toFixed(4)),
    "protocol.cert_verify_100.ms": Number(mOurs.toFixed(3)),
    "protocol.cert_verify_100.raw_blst_ms": Number(mRaw.toFixed(3)),
    "protocol.bls.verify_ms.blst": Number(perBackend.blst.toFixed(3)),
    "protocol.bls.verify_ms.noble": Number(perBackend.noble.toFixed(2)),
  };
}
