// Builder signatures, evidence and JSON forms: median ms per operation, and
// our typed-data recovery against viem's on the same inputs.
import {
  addressFromPrivateKey,
  buildBuilderEquivocation,
  parseJsonText,
  parseSignedCommitmentJson,
  signCommitment,
  signedCommitmentToJson,
  verifyBuilderEquivocation,
  verifySignedCommitment,
} from "@ocp/protocol";
import { bytesToHex, recoverTypedDataAddress } from "viem";

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Median over `rounds` of the mean ms of `inner` calls. */
async function time(fn, { rounds = 15, inner = 20 } = {}) {
  for (let i = 0; i < inner * 2; i++) await fn(i);
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await fn(i);
    out.push((performance.now() - t0) / inner);
  }
  return median(out);
}

const key = new Uint8Array(32).fill(7);
const domain = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xaa) };
const observation = (slot) => ({
  stream: new Uint8Array(32).fill(1),
  slot: BigInt(slot),
  l1BlockNumber: BigInt(slot),
  l1BlockHash: new Uint8Array(32).fill(2),
  schema: new Uint8Array(32).fill(3),
  tableDigest: new Uint8Array(32).fill(slot & 0xff),
  entryCount: 12,
});
const builder = addressFromPrivateKey(key);
const commitment = (slot) => ({ observation: observation(slot), builder });

const types = {
  Observation: [
    { name: "stream", type: "bytes32" },
    { name: "slot", type: "uint64" },
    { name: "l1BlockNumber", type: "uint64" },
    { name: "l1BlockHash", type: "bytes32" },
    { name: "schema", type: "bytes32" },
    { name: "tableDigest", type: "bytes32" },
    { name: "entryCount", type: "uint32" },
  ],
  Commitment: [
    { name: "observation", type: "Observation" },
    { name: "builder", type: "address" },
  ],
};

export async function run() {
  const signed = Array.from({ length: 64 }, (_, i) => signCommitment(domain, commitment(i), key));
  const texts = signed.map((s) => JSON.stringify(signedCommitmentToJson(s)));
  const viemArgs = signed.map((s) => {
    const j = signedCommitmentToJson(s);
    return {
      domain: {
        name: "ocp",
        version: "1",
        chainId: domain.chainId,
        verifyingContract: j.domain.verifyingContract,
      },
      types,
      primaryType: /** @type {const} */ ("Commitment"),
      message: {
        observation: {
          ...s.commitment.observation,
          ...j.commitment.observation,
          slot: s.commitment.observation.slot,
          l1BlockNumber: s.commitment.observation.l1BlockNumber,
        },
        builder: j.commitment.builder,
      },
      signature: bytesToHex(s.signature),
    };
  });
  const other = signCommitment(
    domain,
    { observation: { ...observation(0), tableDigest: new Uint8Array(32).fill(9) }, builder },
    key,
  );
  const ev = buildBuilderEquivocation(signed[0], other);
  if (!ev.ok) throw new Error(`bench setup: ${ev.code}`);

  const sign = await time((i) => signCommitment(domain, commitment(i), key));
  const verify = await time((i) => {
    if (!verifySignedCommitment(signed[i & 63]).ok) throw new Error("verify failed");
  });
  const viemRecover = await time(async (i) => {
    await recoverTypedDataAddress(viemArgs[i & 63]);
  });
  const evidence = await time(() => {
    if (!verifyBuilderEquivocation(ev.value).ok) throw new Error("evidence failed");
  });
  const json = await time((i) => parseSignedCommitmentJson(parseJsonText(texts[i & 63])), { inner: 200 });
  return {
    "builder.sign_commitment_ms": sign,
    "builder.verify_signed_commitment_ms": verify,
    "builder.viem_recover_typed_data_ms": viemRecover,
    "builder.verify_vs_viem_ratio": verify / viemRecover,
    "evidence.verify_builder_equivocation_ms": evidence,
    "json.parse_signed_commitment_ms": json,
  };
}
