// Node state → API JSON: slot views (commitments, own observation, weight by
// root, certificate, anchor status), evidence items and peers. Read-only.
import {
  type Attestation,
  builderEquivocationToJson,
  fromHex,
  observationRoot,
  observationToJson,
  type SszEvidence,
  SszEvidenceKind,
  toHex,
  type VerifierSetRegistry,
  verifierEquivocationToJson,
} from "@ocp/protocol";
import type { AttestationGroup } from "../chain/pools/attestationPool.js";
import type { AnchorReceipt } from "../db/anchorReceipts.js";
import type { ObservationRecord } from "../db/observations.js";
import type { PeerInfo } from "../network/peers.js";

/** Anchoring state of a slot, from the anchoring service when one runs. */
export interface AnchorStatus {
  anchored: boolean;
  /** anchored | already-anchored | conflicted | reverted … */
  outcome?: string;
  txHash?: `0x${string}`;
  blockNumber?: string;
}

export interface RootWeightJson {
  root: string;
  setId: string;
  signedWeight: string;
  totalWeight: string;
  signers: number;
}

export function observationRecordToJson(r: ObservationRecord): Record<string, unknown> {
  return {
    observation: observationToJson(r.observation),
    checkers: r.checkers.map((c) => ({
      checker: c.checker,
      outcome: c.outcome,
      ...(c.detail === undefined ? {} : { detail: c.detail }),
      ...(c.durationMs === undefined ? {} : { durationMs: c.durationMs }),
    })),
    decision: r.decision,
    decidedAtMs: r.decidedAtMs,
  };
}

/** Weight by root from the live attestation pool's groups. */
export function weightsFromGroups(groups: readonly AttestationGroup[]): RootWeightJson[] {
  return groups.map((g) => ({
    root: g.rootHex,
    setId: g.set.setIdHex,
    signedWeight: g.signedWeight.toString(),
    totalWeight: g.set.totalWeight.toString(),
    signers: g.byIndex.size,
  }));
}

/**
 * Weight by root from stored attestations (slots the pool already pruned). An
 * index that signed two roots counts for neither: stored order is by key, not
 * arrival, so "first vote wins" cannot be recovered here.
 */
export function weightsFromAttestations(
  atts: readonly Attestation[],
  sets: Pick<VerifierSetRegistry, "get">,
): RootWeightJson[] {
  const rootsOf = new Map<string, Set<string>>();
  const items: { root: string; setKey: string; index: number }[] = [];
  for (const a of atts) {
    const root = toHex(observationRoot(a.domain, a.observation));
    const setKey = toHex(a.setId);
    const voter = `${setKey}:${a.verifierIndex}`;
    let roots = rootsOf.get(voter);
    if (roots === undefined) {
      roots = new Set();
      rootsOf.set(voter, roots);
    }
    roots.add(root);
    items.push({ root, setKey, index: a.verifierIndex });
  }
  const groups = new Map<string, RootWeightJson & { weight: bigint; seen: Set<number> }>();
  for (const it of items) {
    if ((rootsOf.get(`${it.setKey}:${it.index}`)?.size ?? 0) > 1) continue;
    const set = sets.get(fromHex(it.setKey, 32));
    const w = set?.weights[it.index];
    if (set === undefined || w === undefined) continue;
    const key = `${it.root}|${it.setKey}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        root: it.root,
        setId: it.setKey,
        signedWeight: "0",
        totalWeight: set.totalWeight.toString(),
        signers: 0,
        weight: 0n,
        seen: new Set(),
      };
      groups.set(key, g);
    }
    if (g.seen.has(it.index)) continue;
    g.seen.add(it.index);
    g.weight += w;
    g.signers++;
  }
  return [...groups.values()].map((g) => ({
    root: g.root,
    setId: g.setId,
    signedWeight: g.weight.toString(),
    totalWeight: g.totalWeight,
    signers: g.signers,
  }));
}

export function evidenceToJson(e: SszEvidence): Record<string, unknown> {
  if (e.kind === SszEvidenceKind.BuilderEquivocation) {
    const o = e.evidence.a.commitment.observation;
    return {
      kind: "builder",
      stream: toHex(o.stream),
      slot: o.slot.toString(),
      evidence: builderEquivocationToJson(e.evidence),
    };
  }
  const o = e.evidence.a.observation;
  return {
    kind: "verifier",
    stream: toHex(o.stream),
    slot: o.slot.toString(),
    evidence: verifierEquivocationToJson(e.evidence),
  };
}

export function peerToJson(p: PeerInfo): Record<string, unknown> {
  return {
    peerId: p.peerId,
    addrs: p.addrs,
    direction: p.direction,
    score: Number.isFinite(p.score) ? p.score : 0,
    connectedAtMs: p.connectedAtMs,
    isStatic: p.isStatic,
    status:
      p.status === undefined
        ? null
        : {
            headSlot: p.status.headSlot.toString(),
            latestCertifiedSlot: p.status.latestCertifiedSlot.toString(),
            setIds: p.status.setIds.map((s) => toHex(s)),
          },
  };
}

/** Anchor status from this node's stored anchoring receipts (its own transactions). */
export function anchorStatusFromReceipts(receipts: {
  get(key: { stream: Uint8Array; slot: bigint }): Promise<AnchorReceipt | undefined>;
}): (stream: Uint8Array, slot: bigint) => Promise<AnchorStatus> {
  return async (stream, slot) => {
    const r = await receipts.get({ stream, slot });
    if (r === undefined) return { anchored: false };
    return {
      anchored: r.outcome === "anchored" || r.outcome === "already-anchored",
      outcome: r.outcome,
      ...(/^0x[0-9a-fA-F]{64}$/.test(r.txHash) ? { txHash: r.txHash as `0x${string}` } : {}),
      ...(/^(0|[1-9][0-9]{0,19})$/.test(r.blockNumber) ? { blockNumber: r.blockNumber } : {}),
    };
  };
}
