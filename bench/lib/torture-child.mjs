// The signing verifier under torture: one OcpNode in its own process (killed
// with SIGKILL by bench/torture.mjs). argv[2]: JSON {options, secretKey, set}.
// Prints one JSON line per event: started, decision (before the slashing-
// protection write and the signature), attestation (its own, after both).
import "@ocp/node/polyfill";
import { readFileSync } from "node:fs";
import { OcpNode } from "@ocp/node";
import { fromHex, getBls, observationRoot, parseVerifierSetJson, toHex } from "@ocp/protocol";
import { pino } from "pino";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const bls = getBls();
const node = new OcpNode(
  { ...cfg.options, verifierSets: [parseVerifierSetJson(cfg.set)] },
  { secretKeys: [bls.secretKeyFromBytes(fromHex(cfg.secretKey))], logger: pino({ level: "silent" }) },
);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
node.events.on("decision", (d) => out({ event: "decision", slot: d.slot.toString(), verdict: d.decision.verdict }));
node.events.on("attestation", (a) => {
  if (a.verifierIndex !== 0) return;
  out({ event: "attestation", slot: a.observation.slot.toString(), root: toHex(observationRoot(a.domain, a.observation)) });
});
await node.start();
out({ event: "started", addrs: node.multiaddrs });
