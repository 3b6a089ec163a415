// The node's verifier keys and the only path to a verifier signature:
// doppelganger check → slashing protection (fsynced) → BLS sign.
import {
  type BlsBackend,
  type BlsPublicKey,
  type BlsSecretKey,
  type Domain,
  type Observation,
  observationRoot,
  ProtocolError,
  toHex,
} from "@ocp/protocol";
import type { DbOp } from "../db/database.js";
import { type Logger, nullLogger } from "../util/logger.js";
import type { DoppelgangerGuard } from "./doppelganger.js";
import { SignerErrorCode } from "./errors.js";
import type { SlashingProtection } from "./slashingProtection.js";

export interface ValidatorStoreOptions {
  /**
   * Verify fresh signatures before releasing them, so a faulty machine never
   * gossips a bad vote under our key. `signObservationAll` checks all keys'
   * signatures in one randomized same-message batch (one pairing check).
   * @default true
   */
  verifyAfterSign: boolean;
}

export const defaultValidatorStoreOptions: ValidatorStoreOptions = { verifyAfterSign: true };

/** Roots whose signatures `precompute` keeps (a few slots, a few streams). */
const MAX_PRECOMPUTED_ROOTS = 8;

export interface ValidatorStoreModules {
  bls: BlsBackend;
  slashingProtection: SlashingProtection;
  /** Without a guard, keys sign from the start (devnets, tests). */
  doppelganger?: DoppelgangerGuard;
  logger?: Logger;
}

export interface SignResult {
  pubkey: Uint8Array;
  signature?: Uint8Array;
  /** Why this key did not sign (a ProtocolError code). */
  error?: ProtocolError;
}

export class ValidatorStore {
  private readonly opts: ValidatorStoreOptions;
  private readonly bls: BlsBackend;
  private readonly slashing: SlashingProtection;
  private readonly doppelganger: DoppelgangerGuard | undefined;
  private readonly logger: Logger;
  // #private: invisible to util.inspect, JSON.stringify and structured loggers.
  readonly #secrets = new Map<string, BlsSecretKey>();
  /** Decoded public key handles by pubkey hex (for the self-check). */
  private readonly handles = new Map<string, BlsPublicKey>();
  private readonly order: Uint8Array[] = [];
  /**
   * Signatures computed ahead of a decision, by root hex then pubkey hex.
   * Computing is not signing: they leave only through `signWith`, after the
   * slashing-protection record for their key is durable.
   */
  readonly #ahead = new Map<string, Map<string, Uint8Array>>();

  constructor(opts: Partial<ValidatorStoreOptions>, modules: ValidatorStoreModules) {
    this.opts = { ...defaultValidatorStoreOptions, ...opts };
    this.bls = modules.bls;
    this.slashing = modules.slashingProtection;
    this.doppelganger = modules.doppelganger;
    this.logger = modules.logger ?? nullLogger;
  }

  /** Adds a key; its index is the number of keys added before it. Returns the 48-byte pubkey. */
  addKey(secretKey: BlsSecretKey): Uint8Array {
    const handle = this.bls.publicKey(secretKey);
    const pubkey = this.bls.publicKeyToBytes(handle);
    const id = toHex(pubkey);
    if (this.#secrets.has(id)) throw new ProtocolError(SignerErrorCode.DUPLICATE_KEY, id);
    this.#secrets.set(id, secretKey);
    this.handles.set(id, handle);
    this.order.push(pubkey);
    this.doppelganger?.register(pubkey);
    this.logger.info({ pubkey: id, index: this.order.length - 1 }, "verifier key loaded");
    return pubkey;
  }

  get pubkeys(): Uint8Array[] {
    return this.order.map((p) => Uint8Array.from(p));
  }

  get size(): number {
    return this.order.length;
  }

  hasKey(pubkey: Uint8Array): boolean {
    return this.#secrets.has(toHex(pubkey));
  }

  /**
   * Signs `observationRoot(domain, observation)` with one key. Throws
   * DOPPELGANGER_ERROR_*, SLASHING_ERROR_* or SIGNER_ERROR_UNKNOWN_KEY; the
   * slashing-protection record is on disk before this resolves.
   */
  async signObservation(
    key: number | Uint8Array,
    domain: Domain,
    observation: Observation,
  ): Promise<Uint8Array> {
    const pubkey = typeof key === "number" ? this.order[key] : key;
    if (pubkey === undefined || !this.#secrets.has(toHex(pubkey))) {
      throw new ProtocolError(
        SignerErrorCode.UNKNOWN_KEY,
        typeof key === "number" ? `index ${key}` : toHex(key).slice(0, 18),
      );
    }
    const [r] = await this.signWith([pubkey], domain, observation);
    if (r!.error !== undefined) throw r!.error;
    return r!.signature!;
  }

  /**
   * Signs with every key `member` admits (all keys without it); each key's
   * refusal is reported, not thrown. All keys' slashing records are written
   * in one synced batch before any signature exists, and the signatures are
   * self-checked together. `alsoWrite`: operations written in that same
   * synced batch (even when no key may sign). Keys left out sign nothing and
   * leave no slashing record: a key removed from the set stops signing.
   */
  signObservationAll(
    domain: Domain,
    observation: Observation,
    alsoWrite: readonly DbOp[] = [],
    member?: (pubkey: Uint8Array) => boolean,
  ): Promise<SignResult[]> {
    const keys = member ? this.order.filter((pk) => member(pk)) : this.order;
    return this.signWith(keys, domain, observation, alsoWrite);
  }

  /**
   * Computes (and self-checks) every key's signature over the observation a
   * slot will most likely be decided on, e.g. when its block is first seen
   * and before it is confirmed, so that signing at the decision costs only
   * the slashing-protection write. Nothing is released or recorded here.
   */
  precompute(domain: Domain, observation: Observation): void {
    const root = observationRoot(domain, observation);
    const rootHex = toHex(root);
    if (this.#ahead.has(rootHex) || this.order.length === 0) return;
    const sigs = new Map<string, Uint8Array>();
    for (const pubkey of this.order) {
      const id = toHex(pubkey);
      sigs.set(id, this.bls.sign(this.#secrets.get(id)!, root));
    }
    if (this.opts.verifyAfterSign && !this.selfCheck(root, [...sigs.keys()], [...sigs.values()])) {
      this.logger.error({ root: rootHex }, "precomputed BLS signatures failed self-verification; discarded");
      return;
    }
    this.#ahead.set(rootHex, sigs);
    // Bounded: a few slots' worth, oldest first out.
    while (this.#ahead.size > MAX_PRECOMPUTED_ROOTS) this.#ahead.delete(this.#ahead.keys().next().value!);
  }

  /**
   * One pairing check of the sum of our fresh signatures against the sum of
   * their keys. A faulty signature (a bit flip, a broken library) cannot
   * cancel out in the sum, and these are not adversarial input, so the
   * randomized check used for gossip (a 64-bit scalar multiplication per
   * signature, ~0.14 ms each) buys nothing here.
   */
  private selfCheck(root: Uint8Array, ids: readonly string[], sigs: readonly Uint8Array[]): boolean {
    try {
      return this.bls.fastAggregateVerify(
        ids.map((id) => this.handles.get(id)!),
        root,
        this.bls.aggregateVerifiedSignatureBytes(sigs),
      );
    } catch {
      // Undecodable, infinity or outside the subgroup: not a signature of ours.
      return false;
    }
  }

  /** The one signing path, for any of the node's keys (`pubkeys` are known keys). */
  private async signWith(
    pubkeys: readonly Uint8Array[],
    domain: Domain,
    observation: Observation,
    alsoWrite: readonly DbOp[] = [],
  ): Promise<SignResult[]> {
    const results: SignResult[] = pubkeys.map((pubkey) => ({ pubkey }));
    const allowed: number[] = [];
    for (let i = 0; i < results.length; i++) {
      try {
        this.doppelganger?.assertCanSign(results[i]!.pubkey);
        allowed.push(i);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        results[i]!.error = e;
      }
    }
    const root = observationRoot(domain, observation);
    const ahead = this.#ahead.get(toHex(root));
    const fresh: number[] = [];
    // Signatures are computed while the records are being fsynced and handed
    // out only after that write resolved: same guarantee, less waiting.
    await this.slashing.checkAndRecordMany(
      allowed.map((i) => ({
        pubkey: results[i]!.pubkey,
        domain,
        stream: observation.stream,
        slot: observation.slot,
      })),
      root,
      alsoWrite,
      (verdicts) => {
        for (let k = 0; k < allowed.length; k++) {
          const r = results[allowed[k]!]!;
          const v = verdicts[k]!;
          if (v instanceof ProtocolError) {
            r.error = v;
            continue;
          }
          const id = toHex(r.pubkey);
          r.signature = ahead?.get(id);
          if (r.signature === undefined) {
            r.signature = this.bls.sign(this.#secrets.get(id)!, root);
            fresh.push(allowed[k]!);
          }
        }
        // Precomputed signatures were checked when computed.
        if (this.opts.verifyAfterSign && fresh.length > 0) {
          const ids = fresh.map((i) => toHex(results[i]!.pubkey));
          const sigs = fresh.map((i) => results[i]!.signature!);
          // A failed check means faulty hardware or memory: release nothing.
          if (!this.selfCheck(root, ids, sigs)) {
            throw new Error("BLS signature failed self-verification; refusing to release it");
          }
        }
      },
    );
    return results;
  }
}
