// The independent observer of bench/torture.mjs: a bare libp2p peer on the
// attestation topic that records every attestation it sees on the wire
// (signature checked against the set, so a stray message cannot count) and
// prints {index, slot, root} per distinct one. argv[2]: JSON {network, set}.
import "@ocp/node/polyfill";
import { readFileSync } from "node:fs";
import { GossipKind, Network } from "@ocp/node";
import {
  buildVerifierSet,
  decodeAttestationSsz,
  getBls,
  observationRoot,
  parseVerifierSetJson,
  toHex,
} from "@ocp/protocol";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const set = buildVerifierSet(parseVerifierSetJson(cfg.set));
const bls = getBls();
const seen = new Set();
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const net = new Network({ network: cfg.network, localNetwork: true });
net.subscribe(GossipKind.attestation, async (m) => {
  const a = decodeAttestationSsz(m.data);
  const root = observationRoot(a.domain, a.observation);
  const v = set.verifiers[a.verifierIndex];
  const ok =
    v !== undefined &&
    bls.verify(bls.publicKeyFromBytes(v.pubkey), root, bls.signatureFromBytes(a.signature));
  const key = `${a.verifierIndex}:${a.observation.slot}:${toHex(root)}`;
  if (ok && !seen.has(key)) {
    seen.add(key);
    out({ event: "attestation", index: a.verifierIndex, slot: a.observation.slot.toString(), root: toHex(root) });
  }
  // Observed, not relayed: the victim is the only other peer.
  throw new Error("observed");
});
await net.start();
out({ event: "started", addrs: net.getMultiaddrs() });
process.on("SIGTERM", async () => {
  await net.stop();
  process.exit(0);
});
