// Receipts of this node's anchoring transactions, per (stream, slot).
import { Bucket } from "./buckets.js";
import type { Database } from "./database.js";
import { type Codec, jsonCodec, Repository } from "./repository.js";
import { type StreamSlot, streamSlotCodec } from "./streamSlot.js";

export interface AnchorReceipt {
  txHash: string;
  blockNumber: string;
  gasUsed: string;
  /** Cost in wei (gasUsed × effectiveGasPrice). */
  costWei: string;
  outcome: "anchored" | "already-anchored" | "conflicted" | "reverted";
  atMs: number;
}

function receiptFromJson(j: unknown): AnchorReceipt {
  const r = j as Partial<AnchorReceipt>;
  return {
    txHash: String(r.txHash ?? ""),
    blockNumber: String(r.blockNumber ?? "0"),
    gasUsed: String(r.gasUsed ?? "0"),
    costWei: String(r.costWei ?? "0"),
    outcome: (r.outcome ?? "reverted") as AnchorReceipt["outcome"],
    atMs: typeof r.atMs === "number" ? r.atMs : 0,
  };
}

const receiptCodec: Codec<AnchorReceipt> = jsonCodec<AnchorReceipt, AnchorReceipt>((r) => r, receiptFromJson);

export class AnchorReceiptRepository extends Repository<StreamSlot, AnchorReceipt> {
  constructor(db: Database) {
    super(db, Bucket.anchorReceipts, streamSlotCodec, receiptCodec);
  }
}
