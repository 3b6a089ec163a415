// Doppelganger guard: after start-up the node listens for a few slots before
// its keys sign. An attestation by one of its keys in that window means another
// process holds the key; that key is then disabled until an operator restarts.
import { EventEmitter } from "node:events";
import { ProtocolError, toHex } from "@ocp/protocol";
import { type Logger, nullLogger } from "../util/logger.js";
import { DoppelgangerErrorCode } from "./errors.js";

export interface DoppelgangerOptions {
  /**
   * Listen before signing. Off only for single-node devnets and tests.
   * @default true
   */
  enabled: boolean;
  /**
   * Slots to listen, counted from the slot after the start slot. Every
   * active verifier attests each slot that has a table, so a few slots are
   * enough to see a twin; Lodestar waits 2 epochs where duties are rarer.
   * @default 3
   */
  windowSlots: number;
}

export const defaultDoppelgangerOptions: DoppelgangerOptions = { enabled: true, windowSlots: 3 };

export interface DoppelgangerModules {
  /** The node's slot clock (only `currentSlot` is read). */
  clock: { currentSlot(): bigint | null };
  logger?: Logger;
}

export enum DoppelgangerState {
  pending = "pending",
  safe = "safe",
  detected = "detected",
}

interface KeyState {
  /** Attestations for slots after this one cannot be ours from a previous run. */
  startSlot: bigint | null;
  detected: boolean;
}

export interface DoppelgangerEvents {
  detected: [{ pubkey: Uint8Array; slot: bigint }];
}

export class DoppelgangerGuard extends EventEmitter<DoppelgangerEvents> {
  private readonly opts: DoppelgangerOptions;
  private readonly clock: DoppelgangerModules["clock"];
  private readonly logger: Logger;
  private readonly keys = new Map<string, KeyState>();

  constructor(opts: Partial<DoppelgangerOptions>, modules: DoppelgangerModules) {
    super();
    this.opts = { ...defaultDoppelgangerOptions, ...opts };
    this.clock = modules.clock;
    this.logger = modules.logger ?? nullLogger;
  }

  /**
   * Starts the window for `pubkey` at the current slot. Keys registered before
   * the clock knows a slot start their window at the first known slot.
   */
  register(pubkey: Uint8Array): void {
    const id = toHex(pubkey);
    if (this.keys.has(id)) return;
    this.keys.set(id, { startSlot: this.clock.currentSlot(), detected: false });
  }

  /**
   * Called by the attestation pipeline for every valid attestation signed by
   * one of this node's keys that this node did not produce itself.
   */
  observe(pubkey: Uint8Array, slot: bigint): void {
    const id = toHex(pubkey);
    const st = this.keys.get(id);
    if (st === undefined || st.detected || !this.opts.enabled) return;
    const start = this.startOf(st);
    // An attestation for the start slot or earlier may be our own previous run's.
    if (start === null || slot <= start) return;
    if (this.stateOf(st) !== DoppelgangerState.pending) return;
    st.detected = true;
    this.logger.error({ pubkey: id, slot: slot.toString() }, "doppelganger detected: key disabled");
    this.emit("detected", { pubkey, slot });
  }

  state(pubkey: Uint8Array): DoppelgangerState | undefined {
    const st = this.keys.get(toHex(pubkey));
    return st === undefined ? undefined : this.stateOf(st);
  }

  /** Throws DOPPELGANGER_ERROR_PENDING / _DETECTED unless `pubkey` may sign now. */
  assertCanSign(pubkey: Uint8Array): void {
    const id = toHex(pubkey);
    // An unregistered key is registered now and so starts its window.
    if (!this.keys.has(id)) this.register(pubkey);
    const st = this.keys.get(id)!;
    const s = this.stateOf(st);
    if (s === DoppelgangerState.detected) {
      throw new ProtocolError(DoppelgangerErrorCode.DETECTED, `key ${id.slice(0, 18)}… is disabled`);
    }
    if (s === DoppelgangerState.pending) {
      throw new ProtocolError(
        DoppelgangerErrorCode.PENDING,
        `key ${id.slice(0, 18)}… listens until after slot ${this.windowEnd(st) ?? "?"}`,
      );
    }
  }

  private startOf(st: KeyState): bigint | null {
    if (st.startSlot === null) st.startSlot = this.clock.currentSlot();
    return st.startSlot;
  }

  /** Last slot of the window; signing is allowed from the slot after it. */
  private windowEnd(st: KeyState): bigint | null {
    const start = this.startOf(st);
    return start === null ? null : start + BigInt(this.opts.windowSlots);
  }

  private stateOf(st: KeyState): DoppelgangerState {
    if (st.detected) return DoppelgangerState.detected;
    if (!this.opts.enabled) return DoppelgangerState.safe;
    const end = this.windowEnd(st);
    const now = this.clock.currentSlot();
    if (end === null || now === null || now <= end) return DoppelgangerState.pending;
    return DoppelgangerState.safe;
  }
}
