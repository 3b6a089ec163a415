// Verifier sets learnt from OcpAnchor (rotations): read at start, every
// `refreshSlots` slots, and when a message names an unknown set (rate-limited);
// and the rule that a node signs only under sets known to be current.
import { type BlsBackend, buildVerifierSet, type VerifierSetRegistry } from "@ocp/protocol";
import type { PublicClient } from "viem";
import type { SetsFromAnchorOptions } from "../options.js";
import type { Logger } from "../util/logger.js";

export interface VerifierSetsSyncModules {
  /** Absent: sets come from files only and are always current. */
  source: SetsFromAnchorOptions | undefined;
  /** The OcpAnchor contract. */
  contract: `0x${string}`;
  sets: VerifierSetRegistry;
  bls: BlsBackend;
  clock: { currentSlot(): bigint | null };
  logger: Logger;
  /** Refreshes run only while the node runs. */
  isRunning(): boolean;
}

export class VerifierSetsSync {
  private client: PublicClient | undefined;
  private running: Promise<boolean> | undefined;
  private lastAttemptMs = 0;
  private lastAttemptSlot: bigint | undefined;
  /** The contract's latest epoch when last read; sets are re-read only when it moves. */
  private latestEpoch: bigint | undefined;
  /** Current slot when the last successful refresh began: sets registered later activate ≥ this + lead. */
  private freshAt: bigint | undefined;
  /** The contract's activation lead (slots). */
  private leadSlots: bigint | undefined;
  /** Waiting for the next refresh to end (`nextRefresh`), each called once with its outcome. */
  private readonly refreshWaiters = new Set<(ok: boolean) => void>();
  /** The refresh started for waiters once the rate limit allows it. */
  private soon: NodeJS.Timeout | undefined;

  constructor(private readonly modules: VerifierSetsSyncModules) {}

  /** Periodic refresh, every `refreshSlots` slots. */
  onSlot(slot: bigint): void {
    const src = this.modules.source;
    if (!src) return;
    const last = this.lastAttemptSlot;
    if (last === undefined || slot - last >= BigInt(src.refreshSlots ?? 32)) void this.request(true);
  }

  /**
   * Adds the verifier sets registered on OcpAnchor that this node does not
   * hold yet. Only the latest epoch is read when it has not moved since the
   * last refresh. Records the slot the refresh began at: a set registered
   * after it activates no earlier than that slot plus the contract's lead.
   */
  async refresh(): Promise<number> {
    const { source: src, sets, bls, contract: address } = this.modules;
    if (!src) return 0;
    const startedAt = this.modules.clock.currentSlot() ?? undefined;
    const [
      { createPublicClient, http, BaseError, ContractFunctionRevertedError, ContractFunctionZeroDataError },
      { readVerifierSets },
      { OcpAnchor },
    ] = await Promise.all([import("viem"), import("../anchor/admin.js"), import("@ocp/contracts")]);
    this.client ??= createPublicClient({ transport: http(src.rpcUrl) }) as PublicClient;
    const client = this.client;
    const read = (functionName: string): Promise<unknown> =>
      client.readContract({ address, abi: OcpAnchor.abi, functionName, args: [] } as never);
    const [exists, latest] = (await read("latestEpoch")) as readonly [boolean, bigint];
    // A contract without the view has no lead rule: the node then refreshes before every slot it
    // signs. Only a revert says so; an RPC failure fails this refresh and keeps the last lead
    // (a lead of 0 would make the node IGNORE every vote until its next refresh).
    const lead = (await read("activationLeadSlots").catch((e: unknown) => {
      const noView =
        e instanceof BaseError &&
        e.walk(
          (x) => x instanceof ContractFunctionRevertedError || x instanceof ContractFunctionZeroDataError,
        );
      if (noView) return 0n;
      throw e;
    })) as bigint;
    let added = 0;
    if (exists && (this.latestEpoch === undefined || latest > this.latestEpoch)) {
      for (const data of await readVerifierSets(client, address)) {
        const before = sets.size;
        sets.add(buildVerifierSet(data, { bls }));
        if (sets.size > before) added++;
      }
      this.latestEpoch = latest;
    }
    this.leadSlots = lead;
    if (startedAt !== undefined) this.freshAt = startedAt;
    if (added > 0)
      this.modules.logger.info({ added, total: sets.size }, "verifier sets loaded from the anchor contract");
    return added;
  }

  /**
   * A refresh, single-flight. `force` (periodic, or before signing) skips the
   * rate limit that bounds refreshes asked for by messages with unknown set ids.
   */
  request(force: boolean): Promise<boolean> {
    const src = this.modules.source;
    if (!src || !this.modules.isRunning()) return Promise.resolve(false);
    if (this.running) return this.running;
    const now = Date.now();
    if (!force && now - this.lastAttemptMs < (src.minRefreshIntervalMs ?? 2000))
      return Promise.resolve(false);
    this.lastAttemptMs = now;
    this.lastAttemptSlot = this.modules.clock.currentSlot() ?? undefined;
    this.running = this.refresh()
      .then(() => true)
      .catch((e: unknown) => {
        this.modules.logger.warn({ err: String(e) }, "verifier set refresh failed");
        return false;
      })
      .then((ok) => {
        this.running = undefined;
        if (ok) for (const done of [...this.refreshWaiters]) done(true);
        // A failed refresh (the RPC down for a moment) is tried again for those still waiting.
        else if (this.refreshWaiters.size > 0) this.refreshSoon();
        return ok;
      });
    return this.running;
  }

  /**
   * Resolves true once a refresh succeeds (the one running, or the next),
   * false after `maxMs` or once the node stops; null at once when sets come
   * from files only. With no refresh running, and after a failed one, a
   * refresh starts as soon as the rate limit on message-asked refreshes allows
   * (one for all waiters), so a message that arrived just after a refresh
   * still gets one. Gossip under a set not held here waits on this
   * (docs/spec.md §5.3).
   */
  nextRefresh(maxMs: number): Promise<boolean> | null {
    if (!this.modules.source || !this.modules.isRunning()) return null;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        if (!this.refreshWaiters.delete(done)) return;
        clearTimeout(timer);
        if (this.refreshWaiters.size === 0) this.cancelSoon();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), maxMs);
      timer.unref?.();
      this.refreshWaiters.add(done);
      if (this.running === undefined) this.refreshSoon();
    });
  }

  /** Starts a refresh for the waiters once the rate limit allows (one timer for all). */
  private refreshSoon(): void {
    const src = this.modules.source;
    if (!src || this.soon !== undefined) return;
    const wait = Math.max(0, this.lastAttemptMs + (src.minRefreshIntervalMs ?? 2000) - Date.now());
    this.soon = setTimeout(() => {
      this.soon = undefined;
      // The wait kept the rate limit.
      if (this.refreshWaiters.size > 0) void this.request(true);
    }, wait);
    this.soon.unref?.();
  }

  /** Ends every wait on `nextRefresh` (false) and its pending refresh; for the node's stop. */
  stop(): void {
    this.cancelSoon();
    for (const done of [...this.refreshWaiters]) done(false);
  }

  private cancelSoon(): void {
    if (this.soon !== undefined) clearTimeout(this.soon);
    this.soon = undefined;
  }

  /**
   * True when this node's sets certainly include the one governing `slot` on
   * chain: sets from files, or the last refresh began less than the
   * contract's activation lead before `slot`. Otherwise refreshes first.
   */
  async freshFor(slot: bigint): Promise<boolean> {
    if (this.currentFor(slot)) return true;
    await this.request(true);
    return this.currentFor(slot);
  }

  /** `freshFor` without refreshing. */
  currentFor(slot: bigint): boolean {
    if (!this.modules.source) return true;
    const { freshAt, leadSlots } = this;
    return freshAt !== undefined && leadSlots !== undefined && slot < freshAt + leadSlots;
  }
}
