// The network's identity and address book kept in the node's database: the
// libp2p key (so the peer id survives restarts) and recently seen peers.
import { fromHex, toHex } from "@ocp/protocol";
import type { NodeDb } from "../../db/nodeDb.js";
import type { KnownPeersStore } from "../peers.js";

const PEER_KEY_META = "peerKey";

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
      load: async () => (await db.peers.recent(32)).flatMap((p) => p.record.multiaddrs),
      save: async (addrs) => {
        const now = Date.now();
        for (const a of addrs) {
          const id = a.split("/p2p/")[1];
          if (id) await db.peers.put(id, { multiaddrs: [a], lastSeenMs: now });
        }
      },
    },
  };
}
