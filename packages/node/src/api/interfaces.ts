// What the HTTP API reads and calls, as narrow views: the node hands in its own
// components (they satisfy these structurally); unit tests hand in fakes.
import type {
  Attestation,
  Certificate,
  Domain,
  SignedCommitment,
  SszEvidence,
  VerifierSetRegistry,
} from "@ocp/protocol";
import type { Counter, Registry } from "prom-client";
import type { AttestationGroup } from "../chain/pools/attestationPool.js";
import type { StreamContext } from "../checkers/types.js";
import type { AttestationRepository } from "../db/attestations.js";
import type { CertificateRepository } from "../db/certificates.js";
import type { CommitmentRepository } from "../db/commitments.js";
import type { EvidenceRepository } from "../db/evidence.js";
import type { ObservationRepository } from "../db/observations.js";
import type { PeerInfo } from "../network/peers.js";

/** The node's chain view: domain, streams, sets, pools and commitment intake. */
export interface ApiChain {
  readonly domain: Domain;
  readonly streams: readonly StreamContext[];
  readonly sets: Pick<VerifierSetRegistry, "values" | "get">;
  /** The live attestation pool's groups for a slot (recent slots; empty otherwise). */
  attestationGroups(stream: StreamContext, slot: bigint): readonly AttestationGroup[];
  /** The best certificate held: the pool's, else the stored one. */
  bestCertificate(stream: StreamContext, slot: bigint): Promise<Certificate | undefined>;
  /** Validated exactly like gossip (throws its GossipActionError), then published. */
  submitCommitment(signed: SignedCommitment): Promise<void>;
}

/** The stored records the read routes serve. */
export interface ApiDb {
  certificates: Pick<CertificateRepository, "latest">;
  commitments: Pick<CommitmentRepository, "bySlot">;
  observations: Pick<ObservationRepository, "getOwn">;
  attestations: Pick<AttestationRepository, "bySlot">;
  evidence: Pick<EvidenceRepository, "range">;
}

/** Peer identity and connections; `peerId` and `getMultiaddrs` throw until the host runs (→ 503). */
export interface ApiNetwork {
  readonly opts: { readonly network: string };
  readonly peerId: string;
  getMultiaddrs(): string[];
  getPeers(): PeerInfo[];
}

export interface ApiClock {
  currentSlot(): bigint | null;
}

export interface ApiValidators {
  readonly pubkeys: readonly Uint8Array[];
}

/** The anchoring service, when this node anchors. */
export interface ApiAnchor {
  /** Certificates waiting for their turn or their transaction. */
  readonly backlog: number;
  /** The root the contract holds for a slot (an eth_call), or undefined. */
  anchoredRoot(stream: Uint8Array, slot: bigint): Promise<unknown>;
}

/** The API's own series and the registry /metrics exposes. */
export interface ApiMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"route" | "status">;
  readonly sseDropped: Counter;
}

export interface AnchoredEvent {
  stream: `0x${string}`;
  slot: string;
  outcome: string;
  txHash?: `0x${string}`;
}

/** Listeners for the server-sent event topics. */
export interface ApiEventListeners {
  commitment(signed: SignedCommitment): void;
  attestation(att: Attestation): void;
  certificate(cert: Certificate, meta: { source: string; signedWeight: bigint }): void;
  evidence(evidence: SszEvidence): void;
  anchored(ev: AnchoredEvent): void;
}

/** Subscribes the listeners to the node's events; returns the unsubscribe. */
export type ApiEventSource = (listeners: ApiEventListeners) => () => void;

/** Outcome of the readiness checks (api/readiness.ts), each failing condition named. */
export interface Readiness {
  ready: boolean;
  failing: { condition: string; detail: string }[];
}
