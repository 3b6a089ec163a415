// The network's identity and address book kept in the node's database: the
// libp2p key (so the peer id survives restarts) and recently seen peers.
import { fromHex, toHex } from "@ocp/protocol";
import type { NodeDb } from "../../db/nodeDb.js";
import type { KnownPeersStore } from "../peers.js";

const PEER_KEY_META = "peerKey";
/** Peers remembered; the least recently seen beyond it are forgotten at each save. */
const MAX_KNOWN_PEERS = 64;
/** Addresses kept per peer (identify may announce many). */
const MAX_ADDRS_PER_PEER = 4;

export interface PeerStore {
  /** The stored libp2p private key, if any (NetworkModules.privateKey). */
  privateKey(): Promise<Uint8Array | undefined>;
  /** Stores the key in use, once: the first start generated it. */
  saveKey(network: { readonly privateKey: Uint8Array }): Promise<void>;
  knownPeers: KnownPeersStore;
}

export function peerStore(db: Pick<NodeDb, "meta" | "peers">): PeerStore {
  return {
    privateKey: async () => {
      const hex = await db.meta.getJson<string>(PEER_KEY_META);
      return hex === undefined ? undefined : fromHex(hex);
    },
    saveKey: async (network) => {
      if ((await db.meta.getJson<string>(PEER_KEY_META)) === undefined)
        await db.meta.putJson(PEER_KEY_META, toHex(network.privateKey), { sync: true });
    },
    knownPeers: {
      load: async () => (await db.peers.recent(MAX_KNOWN_PEERS)).flatMap((p) => p.record.multiaddrs),
      save: async (addrs) => {
        const byPeer = new Map<string, string[]>();
        for (const a of addrs) {
          const id = a.split("/p2p/")[1];
          if (!id) continue;
          const list = byPeer.get(id);
          if (list === undefined) byPeer.set(id, [a]);
          else if (list.length < MAX_ADDRS_PER_PEER) list.push(a);
        }
        const lastSeenMs = Date.now();
        await db.peers.batchPut(
          [...byPeer].map(([key, multiaddrs]) => ({ key, value: { multiaddrs, lastSeenMs } })),
        );
        await db.peers.prune(MAX_KNOWN_PEERS);
      },
    },
  };
}
