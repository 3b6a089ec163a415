// Realistic EEZ batches for the devnet builder: a slot's worth of cross-rollup
// activity over three rollups whose state roots chain from slot to slot, with
// L2→L1 calls, expected L1→L2 calls and nested lookups.
import type {
  ExecutionEntry,
  ExpectedL1ToL2Call,
  ExpectedLookup,
  L2ToL1Call,
  LookupCall,
  ProofSystemBatchPerVerificationEntries,
  StateDelta,
} from "@ocp/protocol";
import { keccak256 } from "viem";

const keccak_256 = (b: Uint8Array): Uint8Array => keccak256(b, "bytes");

/** Seeded source of randomness (mulberry32): a devnet run can be replayed with --seed. */
export type Rng = () => number;

export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

function bytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 0, 255);
  return b;
}

function list<T>(rng: Rng, lo: number, hi: number, f: () => T): T[] {
  return Array.from({ length: int(rng, lo, hi) }, f);
}

/** Rollup ids of the devnet: three rollups, as on a small EEZ deployment. */
export const DEVNET_ROLLUPS = [1n, 2n, 3n] as const;

/** ABI-encoded call data of a plausible L2 contract call (selector + words). */
function callData(rng: Rng): Uint8Array {
  return bytes(rng, 4 + 32 * int(rng, 0, 3));
}

/**
 * The generator keeps each rollup's current state root, so consecutive
 * entries (and slots) form a chain `current → new` as a real sequencer's would.
 */
export class BatchGenerator {
  private readonly states = new Map<bigint, Uint8Array>();
  private readonly addresses: Uint8Array[];
  private readonly proofSystems: Uint8Array[];

  constructor(private readonly rng: Rng) {
    for (const r of DEVNET_ROLLUPS) this.states.set(r, keccak_256(Uint8Array.of(Number(r))));
    // A fixed population of L1 and L2 contracts, so calls repeat targets.
    this.addresses = Array.from({ length: 8 }, () => bytes(rng, 20));
    this.proofSystems = Array.from({ length: 2 }, () => bytes(rng, 20));
  }

  private address(): Uint8Array {
    return this.addresses[int(this.rng, 0, this.addresses.length - 1)]!;
  }

  private rollup(): bigint {
    return DEVNET_ROLLUPS[int(this.rng, 0, DEVNET_ROLLUPS.length - 1)]!;
  }

  private delta(rollupId: bigint): StateDelta {
    const current = this.states.get(rollupId)!;
    const next = keccak_256(bytes(this.rng, 32));
    this.states.set(rollupId, next);
    const wei = BigInt(int(this.rng, 0, 1_000_000)) * 1_000_000_000n;
    return { rollupId, currentState: current, newState: next, etherDelta: this.rng() < 0.5 ? -wei : wei };
  }

  private l2ToL1Call(): L2ToL1Call {
    return {
      targetAddress: this.address(),
      value: this.rng() < 0.7 ? 0n : BigInt(int(this.rng, 1, 1000)) * 10n ** 15n,
      data: callData(this.rng),
      sourceAddress: this.address(),
      sourceRollupId: this.rollup(),
      revertSpan: 0n,
    };
  }

  private l1ToL2Call(): ExpectedL1ToL2Call {
    return {
      crossChainCallHash: bytes(this.rng, 32),
      callCount: BigInt(int(this.rng, 1, 3)),
      returnData: bytes(this.rng, 32 * int(this.rng, 0, 2)),
    };
  }

  /** A lookup, possibly nesting further calls (depth-bounded by the caller). */
  private expectedLookup(index: number): ExpectedLookup {
    return {
      crossChainCallHash: bytes(this.rng, 32),
      returnData: bytes(this.rng, 32 * int(this.rng, 0, 2)),
      failed: this.rng() < 0.05,
      l2ToL1CallNumber: BigInt(int(this.rng, 0, 3)),
      lastL1ToL2CallConsumed: BigInt(int(this.rng, 0, 3)),
      executingLookupIndex: BigInt(index),
      l2ToL1Calls: list(this.rng, 0, 2, () => this.l2ToL1Call()),
      expectedL1ToL2Calls: list(this.rng, 0, 1, () => this.l1ToL2Call()),
      callCount: BigInt(int(this.rng, 1, 4)),
      rollingHash: bytes(this.rng, 32),
    };
  }

  private entry(): ExecutionEntry {
    // A cross-rollup transition touches one to all three rollups.
    const touched = DEVNET_ROLLUPS.filter((_, i) => i === 0 || this.rng() < 0.6);
    return {
      stateDeltas: touched.map((r) => this.delta(r)),
      proxyEntryHash: bytes(this.rng, 32),
      destinationRollupId: this.rollup(),
      l2ToL1Calls: list(this.rng, 0, 3, () => this.l2ToL1Call()),
      expectedL1ToL2Calls: list(this.rng, 0, 2, () => this.l1ToL2Call()),
      expectedLookups: Array.from({ length: int(this.rng, 0, 2) }, (_, i) => this.expectedLookup(i)),
      callCount: BigInt(int(this.rng, 1, 6)),
      returnData: bytes(this.rng, 32 * int(this.rng, 0, 2)),
      rollingHash: bytes(this.rng, 32),
    };
  }

  private lookupCall(): LookupCall {
    return {
      crossChainCallHash: bytes(this.rng, 32),
      destinationRollupId: this.rollup(),
      returnData: bytes(this.rng, 32 * int(this.rng, 0, 2)),
      failed: this.rng() < 0.05,
      l2ToL1Calls: list(this.rng, 0, 2, () => this.l2ToL1Call()),
      expectedL1ToL2Calls: list(this.rng, 0, 1, () => this.l1ToL2Call()),
      // Nested: a lookup whose execution performs further lookups.
      expectedLookups: Array.from({ length: int(this.rng, 1, 2) }, (_, i) => this.expectedLookup(i)),
      callCount: BigInt(int(this.rng, 1, 4)),
      rollingHash: bytes(this.rng, 32),
      expectedStateRoots: DEVNET_ROLLUPS.filter(() => this.rng() < 0.5).map((r) => ({
        rollupId: r,
        stateRoot: this.states.get(r)!,
      })),
    };
  }

  /** One batch with `entries` execution entries (1–50 when not given). */
  batch(entries = int(this.rng, 1, 50)): ProofSystemBatchPerVerificationEntries {
    const nPs = int(this.rng, 1, 2);
    const proofSystems = this.proofSystems.slice(0, nPs);
    return {
      entries: Array.from({ length: entries }, () => this.entry()),
      l1ToL2lookupCalls: list(this.rng, 0, 3, () => this.lookupCall()),
      transientExecutionEntryCount: BigInt(int(this.rng, 0, 2)),
      transientLookupCallCount: BigInt(int(this.rng, 0, 1)),
      proofSystems,
      rollupIdsWithProofSystems: DEVNET_ROLLUPS.map((rollupId, i) => ({
        rollupId,
        proofSystemIndex: [BigInt(i % nPs)],
      })),
      crossProofSystemInteractions: nPs > 1 ? bytes(this.rng, 32) : new Uint8Array(32),
      blobIndices: [],
      callData: bytes(this.rng, int(this.rng, 0, 256)),
      // A proof per proof system: a Groth16-sized blob.
      proofs: proofSystems.map(() => bytes(this.rng, 256)),
      blockNumber: BigInt(int(this.rng, 1, 1_000_000)),
    };
  }

  /**
   * A slot's batches: usually one, sometimes two posted in one transaction
   * through the orchestrator; `entries` (1–50) is split between them.
   */
  slot(): { batches: ProofSystemBatchPerVerificationEntries[]; via: "direct" | "orchestrator" } {
    const total = int(this.rng, 1, 50);
    const r = this.rng();
    if (r < 0.25 && total >= 2) {
      const first = int(this.rng, 1, total - 1);
      return { batches: [this.batch(first), this.batch(total - first)], via: "orchestrator" };
    }
    return { batches: [this.batch(total)], via: r < 0.5 ? "orchestrator" : "direct" };
  }
}
