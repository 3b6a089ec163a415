// Gossip topic names (docs/spec.md §5): `/ocp/1/<network>/<kind>/ssz`, one topic per
// message kind, and the size limit each topic enforces before validation.
import { SSZ_GOSSIP_MAX_BYTES } from "@ocp/protocol";

export enum GossipKind {
  commitment = "commitment",
  attestation = "attestation",
  certificate = "certificate",
  evidence = "evidence",
}

export const GOSSIP_KINDS: readonly GossipKind[] = [
  GossipKind.commitment,
  GossipKind.attestation,
  GossipKind.certificate,
  GossipKind.evidence,
];

const TOPIC_PREFIX = "/ocp/1/";
const TOPIC_SUFFIX = "/ssz";

/** A network name goes inside a topic string, so it must not contain "/" or whitespace. */
export function isValidNetworkName(network: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(network);
}

export function gossipTopic(network: string, kind: GossipKind): string {
  return `${TOPIC_PREFIX}${network}/${kind}${TOPIC_SUFFIX}`;
}

/** Inverse of `gossipTopic`; undefined for any other string (other networks included). */
export function parseGossipTopic(topic: string): { network: string; kind: GossipKind } | undefined {
  if (!topic.startsWith(TOPIC_PREFIX) || !topic.endsWith(TOPIC_SUFFIX)) return undefined;
  const parts = topic.slice(TOPIC_PREFIX.length, topic.length - TOPIC_SUFFIX.length).split("/");
  if (parts.length !== 2) return undefined;
  const [network, kind] = parts as [string, string];
  if (!isValidNetworkName(network) || !(GOSSIP_KINDS as readonly string[]).includes(kind)) return undefined;
  return { network, kind: kind as GossipKind };
}

/**
 * Largest payload accepted on each topic: the 4 KiB gossip cap of docs/spec.md §5 or
 * the SSZ type's maximum size, whichever is smaller (from @ocp/protocol). A
 * longer message is REJECTed unread.
 */
export const GOSSIP_MAX_BYTES: Readonly<Record<GossipKind, number>> = {
  [GossipKind.commitment]: SSZ_GOSSIP_MAX_BYTES.commitment,
  [GossipKind.attestation]: SSZ_GOSSIP_MAX_BYTES.attestation,
  [GossipKind.certificate]: SSZ_GOSSIP_MAX_BYTES.certificate,
  [GossipKind.evidence]: SSZ_GOSSIP_MAX_BYTES.evidence,
};
