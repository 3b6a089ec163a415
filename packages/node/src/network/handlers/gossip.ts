// The node's gossip handlers, each four steps: decode → validate (chain
// pipeline) → insert into a pool → record and announce. Commitments submitted
// through the API take the same path, then are published.
import { bytesEqual, encodeSignedCommitmentSsz, type SignedCommitment } from "@ocp/protocol";
import type { ChainPipeline } from "../../chain/pipeline.js";
import type { PooledCommitment } from "../../chain/pools/commitmentPool.js";
import type { StreamContext } from "../../checkers/types.js";
import type { NodeDb } from "../../db/nodeDb.js";
import type { NodeEventSink } from "../../events.js";
import type { Logger } from "../../util/logger.js";
import type { Network } from "../network.js";
import { GossipKind } from "../topics.js";

export interface GossipHandlersModules {
  network: Pick<Network, "subscribe" | "publish">;
  chain: Pick<ChainPipeline, "commitment" | "attestation" | "certificate" | "evidence">;
  streams: readonly StreamContext[];
  db: Pick<NodeDb, "deferred" | "attestations">;
  /** Votes seen from our own keys elsewhere (signer/doppelganger.ts). */
  doppelganger: { observe(pubkey: Uint8Array, slot: bigint): void };
  /** Stores a pooled commitment by the storage policy (storage/recorder.ts). */
  storeCommitment(stream: StreamContext | undefined, c: PooledCommitment): Promise<void>;
  /** A decided slot may be waiting for this commitment (duties/slotDuties.ts). */
  onCommitment(stream: StreamContext, c: PooledCommitment): Promise<void>;
  events: NodeEventSink;
  logger: Logger;
}

/**
 * Waits before publishing again a message that found no topic peer: a node
 * that has just started (or lost its peers) holds connections before their
 * subscriptions arrive, and gossipsub does not mark such a message seen, so
 * it can go out once they have. About 3.5 s in all: the message stays useful
 * for its slot, and a peer's subscriptions come with its first gossip frame.
 */
export const NO_PEERS_RETRY_MS: readonly number[] = [500, 1000, 2000];

/**
 * Gossips through `network`; a failure is logged at debug, never thrown (peers
 * may be absent). A message that reached no topic peer is published again
 * after each of `retryMs` (in the background: the caller does not wait), until
 * some peer gets it.
 */
export function quietPublisher(
  network: Pick<Network, "publish">,
  logger: Logger,
  retryMs: readonly number[] = NO_PEERS_RETRY_MS,
): (kind: GossipKind, bytes: Uint8Array) => Promise<void> {
  const attempt = async (kind: GossipKind, bytes: Uint8Array): Promise<boolean> => {
    try {
      return (await network.publish(kind, bytes)).outcome === "no_peers";
    } catch (e) {
      logger.debug({ kind, err: String(e) }, "publish failed");
      return false;
    }
  };
  const retry = (kind: GossipKind, bytes: Uint8Array, i: number): void => {
    if (i >= retryMs.length) {
      logger.debug({ kind }, "publish found no topic peer; not retried further");
      return;
    }
    setTimeout(() => {
      void attempt(kind, bytes).then((again) => {
        if (again) retry(kind, bytes, i + 1);
      });
    }, retryMs[i]).unref();
  };
  return async (kind, bytes) => {
    if (await attempt(kind, bytes)) retry(kind, bytes, 0);
  };
}

export class GossipHandlers {
  private readonly publish: (kind: GossipKind, bytes: Uint8Array) => Promise<void>;

  constructor(private readonly m: GossipHandlersModules) {
    this.publish = quietPublisher(m.network, m.logger);
  }

  /** Subscribes every topic (before or after the network starts). */
  register(): void {
    const { network: net, chain, db } = this.m;
    net.subscribe(
      GossipKind.commitment,
      async (msg) => ({ value: await chain.commitment.validate(msg.data, msg.from) }),
      async (msg) => {
        chain.commitment.accept(msg.value);
        await this.onCommitmentAccepted(msg.value);
      },
    );
    net.subscribe(
      GossipKind.attestation,
      async (msg) => ({ value: await chain.attestation.validate(msg.data, msg.from) }),
      async (msg) => {
        const v = msg.value;
        const pubkey = v.set.verifiers[v.attestation.verifierIndex]?.pubkey;
        if (pubkey) this.m.doppelganger.observe(pubkey, v.slot);
        chain.attestation.accept(v);
        this.m.events.emit("attestation", v.attestation);
        await db.deferred.write(db.attestations.addOp(v.attestation, v.observationRoot));
      },
    );
    net.subscribe(
      GossipKind.certificate,
      async (msg) => ({ value: await chain.certificate.validate(msg.data) }),
      (msg) => chain.certificate.accept(msg.value),
    );
    net.subscribe(
      GossipKind.evidence,
      async (msg) => ({ value: await chain.evidence.validate(msg.data) }),
      (msg) => chain.evidence.accept(msg.value),
    );
  }

  /**
   * Publishes a builder's signed commitment through this node (API, tests):
   * validated exactly like one from gossip. Throws the validation error.
   */
  async submitCommitment(signed: SignedCommitment): Promise<void> {
    const { chain } = this.m;
    const bytes = encodeSignedCommitmentSsz(signed);
    const v = await chain.commitment.validate(bytes);
    chain.commitment.accept(v);
    const published = this.publish(GossipKind.commitment, bytes);
    await this.onCommitmentAccepted(v);
    await published;
  }

  private async onCommitmentAccepted(c: PooledCommitment): Promise<void> {
    const stream = this.m.streams.find((s) => bytesEqual(s.id, c.signed.commitment.observation.stream));
    // Signing does not wait for the commitment's own record (it is in the pool).
    const stored = this.m.storeCommitment(stream, c);
    if (stream) await this.m.onCommitment(stream, c);
    await stored;
  }
}
