// Embedding a node: a watcher (no verifier keys) that follows one stream,
// joins the gossip network and logs each certificate it holds. Shown in
// packages/node/README.md.
import "@ocp/node/polyfill";
import { OcpNode } from "@ocp/node";
import { parseVerifierSetJson, toHex } from "@ocp/protocol";

export async function watchCertificates(opts: {
  rpcUrl: string;
  anchor: `0x${string}`;
  tableContract: `0x${string}`;
  verifierSetJson: unknown;
  bootstrapPeers: string[];
}): Promise<OcpNode> {
  const node = new OcpNode({
    dataDir: "./ocp-data",
    domain: { chainId: 31337, verifyingContract: opts.anchor },
    streams: [{ name: "devnet", l1ChainId: 31337, tableContract: opts.tableContract }],
    l1: { rpcUrls: [opts.rpcUrl] },
    verifierSets: [parseVerifierSetJson(opts.verifierSetJson)],
    network: { bootstrapPeers: opts.bootstrapPeers },
  });
  node.events.on("certificate", (cert, { source, signedWeight }) => {
    const { slot, tableDigest } = cert.observation;
    console.log(`slot ${slot}: ${toHex(tableDigest)} weight ${signedWeight} (${source})`);
  });
  await node.start(); // node.stop() closes libp2p, the L1 readers and the db
  return node;
}
