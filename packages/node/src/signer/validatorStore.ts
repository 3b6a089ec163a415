// The node's verifier keys and the only path to a verifier signature:
// doppelganger check → slashing protection (fsynced) → BLS sign.
import {
  type BlsBackend,
  type BlsSecretKey,
  type Domain,
  type Observation,
  observationRoot,
  ProtocolError,
  toHex,
} from "@ocp/protocol";
import { type Logger, nullLogger } from "../util/logger.js";
import type { DoppelgangerGuard } from "./doppelganger.js";
import { SignerErrorCode } from "./errors.js";
import type { SlashingProtection } from "./slashingProtection.js";

export interface ValidatorStoreOptions {
  /**
   * Verify each fresh signature before releasing it: 1 ms per signature with
   * blst, and a faulty machine then never gossips a bad vote under our key.
   * @default true
   */
  verifyAfterSign: boolean;
}

export const defaultValidatorStoreOptions: ValidatorStoreOptions = { verifyAfterSign: true };

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
  private readonly order: Uint8Array[] = [];

  constructor(opts: Partial<ValidatorStoreOptions>, modules: ValidatorStoreModules) {
    this.opts = { ...defaultValidatorStoreOptions, ...opts };
    this.bls = modules.bls;
    this.slashing = modules.slashingProtection;
    this.doppelganger = modules.doppelganger;
    this.logger = modules.logger ?? nullLogger;
  }

  /** Adds a key; its index is the number of keys added before it. Returns the 48-byte pubkey. */
  addKey(secretKey: BlsSecretKey): Uint8Array {
    const pubkey = this.bls.publicKeyToBytes(this.bls.publicKey(secretKey));
    const id = toHex(pubkey);
    if (this.#secrets.has(id)) throw new ProtocolError(SignerErrorCode.DUPLICATE_KEY, id);
    this.#secrets.set(id, secretKey);
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
    const sk = pubkey === undefined ? undefined : this.#secrets.get(toHex(pubkey));
    if (pubkey === undefined || sk === undefined) {
      throw new ProtocolError(
        SignerErrorCode.UNKNOWN_KEY,
        typeof key === "number" ? `index ${key}` : toHex(key).slice(0, 18),
      );
    }
    this.doppelganger?.assertCanSign(pubkey);
    const root = observationRoot(domain, observation);
    await this.slashing.checkAndRecord(
      { pubkey, domain, stream: observation.stream, slot: observation.slot },
      root,
    );
    const signature = this.bls.sign(sk, root);
    if (this.opts.verifyAfterSign) {
      const ok = this.bls.verify(this.bls.publicKey(sk), root, this.bls.signatureFromBytes(signature));
      if (!ok) throw new Error("BLS signature failed self-verification; refusing to release it");
    }
    return signature;
  }

  /** Signs with every key; each key's refusal is reported, not thrown. */
  async signObservationAll(domain: Domain, observation: Observation): Promise<SignResult[]> {
    return Promise.all(
      this.order.map(async (pubkey): Promise<SignResult> => {
        try {
          return { pubkey, signature: await this.signObservation(pubkey, domain, observation) };
        } catch (e) {
          if (e instanceof ProtocolError) return { pubkey, error: e };
          throw e;
        }
      }),
    );
  }
}
