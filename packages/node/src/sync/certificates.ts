// Certificate sync: fills the certificate gaps of the last `lookbackSlots`
// from connected peers with certificates_by_range, periodically and when a
// peer connects; every answer goes through the same validation as gossip, and
// an answer that carries what an honest peer never sends is charged to its
// peer and read no further (docs/spec.md §6, "Certificate sync").
import {
  type Certificate,
  type Domain,
  decodeCertificatesByRangeResponseSsz,
  encodeCertificateSsz,
  encodeCertificatesByRangeRequestSsz,
  MAX_CERTIFICATES_PER_RANGE,
  toHex,
} from "@ocp/protocol";
import type { Counter } from "prom-client";
import type { ChainPipeline } from "../chain/pipeline.js";
import { domainKey, slotKey } from "../chain/pools/keys.js";
import type { StreamContext } from "../checkers/types.js";
import type { NodeDb } from "../db/nodeDb.js";
import { GossipAction } from "../network/errors.js";
import type { Network } from "../network/network.js";
import { ReqRespProtocolName } from "../network/reqresp/protocols.js";
import type { SyncOptions } from "../options.js";
import type { Logger } from "../util/logger.js";
import { yieldToIo } from "../util/yield.js";

export interface CertificateSyncModules {
  opts: SyncOptions & { confirmations: number };
  domain: Domain;
  streams: readonly StreamContext[];
  clock: { currentSlot(): bigint | null };
  network: Pick<Network, "getPeers" | "request" | "events" | "penalizeBadResponse">;
  chain: Pick<ChainPipeline, "certificate" | "pools">;
  db: { certificates: Pick<NodeDb["certificates"], "getBestSync"> };
  /** Slots decided "nothing": no certificate can exist (duties/slotDuties.ts). */
  knownEmpty(stream: Uint8Array, slot: bigint): boolean;
  logger: Logger;
  /** Certificates of the answers, by what became of them (`SyncCertificateResult`). */
  metrics?: { certificates: Counter<"result"> } | null;
}

/** What became of a certificate a peer sent in a certificates_by_range answer. */
export type SyncCertificateResult =
  /** Taken in: this node holds it (or it upgraded the one held). */
  | "added"
  /** IGNOREd: already held, no more weight, a set not known here. */
  | "ignored"
  /** Failed validation (REJECT): its peer is charged and the rest of the answer is dropped. */
  | "rejected"
  /** Outside the range asked for: its peer is charged and the rest of the answer is dropped. */
  | "out_of_range"
  /** Left unread after its peer's answer was found bad. */
  | "dropped";

/** What one range request of a round got back, for its log line. */
interface RoundStats {
  failed: number;
  received: number;
  added: number;
  badAnswers: number;
  refused: Record<string, number>;
}

/** Peers asked per round: up to this many, drawn afresh each round. */
const PEERS_PER_ROUND = 3;

/**
 * Rounds start at least this far apart whatever connects: a peer that
 * reconnects in a loop cannot make us ask honest peers faster than the
 * 2 requests/s they allow us (docs/spec.md §5.4).
 */
const MIN_ROUND_SPACING_MS = 1000;

export class CertificateSync {
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  /** Asked for while a round was under way (a peer connected): another round follows it. */
  private again = false;
  private lastRoundAt = Number.NEGATIVE_INFINITY;
  private running = false;
  /** The last round asked for: rounds run one after another, never side by side. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly m: CertificateSyncModules) {}

  /** Periodic sync, and one shortly after each peer connects. */
  start(): void {
    this.running = true;
    this.m.network.events.on("peer:connected", () => this.schedule(500));
    this.timer = setInterval(() => this.schedule(0), this.m.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sync under way. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    await this.syncing?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    // A round waiting on a slow or dead peer must not swallow the peers that
    // connect meanwhile: they get a round of their own right after it.
    if (this.syncing) {
      this.again = true;
      return;
    }
    const run = async (): Promise<void> => {
      const wait = Math.max(delayMs, this.lastRoundAt + MIN_ROUND_SPACING_MS - Date.now());
      await new Promise((r) => setTimeout(r, wait).unref());
      if (!this.running) return;
      this.lastRoundAt = Date.now();
      await this.sync();
    };
    this.syncing = run()
      .catch((e) => this.m.logger.warn({ err: String(e) }, "certificate sync failed"))
      .finally(() => {
        this.syncing = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      });
  }

  /**
   * Fills certificate gaps of the last lookbackSlots from connected peers.
   * A gap is a confirmed slot with no certificate held that is not known to
   * be empty: missed while down or partitioned, never decided, or still
   * forming. Only the span of gaps is asked for, and nothing at all when there
   * are none (the usual case for a node that keeps up). Returns the
   * certificates added.
   *
   * A round asked for while another is under way (the periodic one, one after
   * a peer connected, an operator's) starts when that one ends and looks for
   * gaps only then: two rounds side by side would ask the same peers for the
   * same slots twice (against their per-peer request allowance, spec §5.4),
   * and the later one would find its answers already taken in.
   */
  sync(): Promise<number> {
    const next = this.tail.then(() => this.round());
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async round(): Promise<number> {
    const { m } = this;
    const head = m.clock.currentSlot();
    if (head === null) return 0;
    const lookback = BigInt(m.opts.lookbackSlots);
    const from = head > lookback ? head - lookback : 0n;
    const confirmed = head - BigInt(m.opts.confirmations);
    let added = 0;
    // Drawn at random each round, not the first connected: peers that came
    // first (or reconnect in a loop) must not be the only ones ever asked.
    const peers = pickRandom(m.network.getPeers(), PEERS_PER_ROUND);
    for (const stream of m.streams) {
      const gaps = this.gaps(stream, from, confirmed);
      if (gaps === undefined) continue;
      for (let start = gaps.first; start <= gaps.last; start += BigInt(MAX_CERTIFICATES_PER_RANGE)) {
        const left = gaps.last - start + 1n;
        const count = Number(left < 64n ? left : 64n);
        const payload = encodeCertificatesByRangeRequestSsz({ stream: stream.id, startSlot: start, count });
        const range = { start, end: start + BigInt(count) };
        const stats: RoundStats = { failed: 0, received: 0, added: 0, badAnswers: 0, refused: {} };
        // Asked all at once: one peer that never answers costs its timeout
        // once, not per peer, and each answer is taken in as it arrives
        // (one at a time), not after the slowest.
        let taking = Promise.resolve();
        await Promise.all(
          peers.map((peer) =>
            m.network.request(peer.peerId, ReqRespProtocolName.certificatesByRange, payload).then(
              (chunks) => {
                let certs: Certificate[];
                try {
                  certs = chunks.flatMap((c) => decodeCertificatesByRangeResponseSsz(c));
                } catch (e) {
                  return this.refuseAnswer(peer.peerId, `undecodable: ${String(e)}`, 0, stats);
                }
                taking = taking.then(() => this.takeAnswer(peer.peerId, certs, range, stats));
                return taking;
              },
              (e: unknown) => {
                // Timeouts, refusals (rate limit), resets: the request failed, nothing was served.
                stats.failed++;
                m.logger.debug({ peer: peer.peerId, err: String(e) }, "certificates_by_range failed");
              },
            ),
          ),
        );
        added += stats.added;
        m.logger[stats.added > 0 || stats.failed > 0 || stats.badAnswers > 0 ? "info" : "debug"](
          { stream: stream.name, startSlot: start.toString(), count, peers: peers.length, ...stats },
          "certificate gaps asked for",
        );
      }
    }
    return added;
  }

  /**
   * Takes in one peer's answer for slots [range.start, range.end), through the
   * same validation as gossip (a peer's range answer is untrusted), one
   * certificate per turn of the event loop: an answer of 64 certificates,
   * each a pairing, must not hold off I/O meanwhile.
   */
  private async takeAnswer(
    peer: string,
    certs: readonly Certificate[],
    range: { start: bigint; end: bigint },
    stats: RoundStats,
  ): Promise<void> {
    const { m } = this;
    for (let i = 0; i < certs.length; i++) {
      const cert = certs[i]!;
      stats.received++;
      const unread = certs.length - i - 1;
      if (cert.observation.slot < range.start || cert.observation.slot >= range.end) {
        this.count("out_of_range");
        return this.refuseAnswer(peer, "slot outside the range asked for", unread, stats);
      }
      if (i > 0) await yieldToIo();
      try {
        const v = await m.chain.certificate.validate(encodeCertificateSsz(cert));
        const before = m.chain.pools.certificates.best(v.slotKey);
        m.chain.certificate.accept(v);
        const upgraded = m.chain.pools.certificates.best(v.slotKey) !== before;
        if (upgraded) stats.added++;
        this.count(upgraded ? "added" : "ignored");
      } catch (e) {
        const code = (e as { code?: string }).code ?? "ERROR";
        stats.refused[code] = (stats.refused[code] ?? 0) + 1;
        // IGNORE (already held, no more weight, a set not known here): nothing to add.
        if ((e as { action?: GossipAction }).action !== GossipAction.REJECT) {
          this.count("ignored");
          continue;
        }
        // REJECT: an honest peer serves only certificates it verified. One
        // failed pairing per answer, not one per certificate it carries.
        this.count("rejected");
        return this.refuseAnswer(peer, code, unread, stats);
      }
    }
  }

  /** An answer an honest peer never sends: its peer is charged once, and `unread` certificates are dropped. */
  private refuseAnswer(peer: string, why: string, unread: number, stats: RoundStats): void {
    stats.badAnswers++;
    this.count("dropped", unread);
    this.m.network.penalizeBadResponse(peer);
    this.m.logger.debug({ peer, why, unread }, "certificates_by_range answer refused");
  }

  private count(result: SyncCertificateResult, n = 1): void {
    if (n > 0) this.m.metrics?.certificates.inc({ result }, n);
  }

  /** First and last slot in [from, to] without a certificate held and not known empty. */
  private gaps(stream: StreamContext, from: bigint, to: bigint): { first: bigint; last: bigint } | undefined {
    const { m } = this;
    const domain = domainKey(m.domain);
    const streamHex = toHex(stream.id);
    let first: bigint | undefined;
    let last: bigint | undefined;
    for (let slot = from; slot <= to; slot++) {
      if (m.knownEmpty(stream.id, slot)) continue;
      if (m.chain.pools.certificates.best(slotKey(domain, streamHex, slot))) continue;
      // Held from before a restart: in the db, not yet in the pool.
      if (m.db.certificates.getBestSync(stream.id, slot)) continue;
      first ??= slot;
      last = slot;
    }
    return first === undefined || last === undefined ? undefined : { first, last };
  }
}

/** Up to `n` of `items`, drawn at random without repeats. */
function pickRandom<T>(items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) {
    const i = Math.floor(Math.random() * pool.length);
    out.push(pool[i]!);
    pool[i] = pool[pool.length - 1]!;
    pool.pop();
  }
  return out;
}
