// The optional anchorer role: submits certificates to OcpAnchor. Anchorers
// take turns — slot s belongs to anchorer s mod k — and the others step in
// after a fallback delay if the slot is still not anchored. Fees are bumped
// on a stuck transaction, never above the configured cap.
import { OcpAnchor } from "@ocp/contracts";
import { type Certificate, g2ToEip2537, toHex, type VerifierSetRegistry } from "@ocp/protocol";
import type { Logger } from "pino";
import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { AnchorReceipt, AnchorReceiptRepository } from "../db/anchorReceipts.js";
import { EIP7825_TX_GAS_CAP } from "./admin.js";

export interface AnchorOptions {
  rpcUrl: string;
  /** Chain id of the anchor chain (the EIP-712 domain's chainId). */
  chainId: number;
  contract: `0x${string}`;
  /** This anchorer's position among `count`; slot s is ours when s mod count == index. */
  index: number;
  /** @default 1 */
  count: number;
  /** How long others wait before anchoring a slot that is not theirs. @default 4000 */
  fallbackDelayMs: number;
  /** Never pay more than this per gas (wei). @default 200 gwei */
  maxFeePerGasWei: bigint;
  /** Fee increase per replacement, percent (replacements need ≥ 10 %). @default 20 */
  gasBumpPercent: number;
  /** How long to wait for a receipt before bumping. @default 6000 */
  receiptTimeoutMs: number;
  /** @default 5 */
  maxAttempts: number;
}

export const defaultAnchorOptions: Omit<AnchorOptions, "rpcUrl" | "chainId" | "contract" | "index"> = {
  count: 1,
  fallbackDelayMs: 4000,
  maxFeePerGasWei: 200_000_000_000n,
  gasBumpPercent: 20,
  receiptTimeoutMs: 6000,
  maxAttempts: 5,
};

export interface AnchorMetrics {
  transactions: { inc(labels: { result: string }): void };
  gasUsed: { inc(v: number): void };
  spentWei: { inc(v: number): void };
  balanceWei: { set(v: number): void };
}

export interface AnchorServiceModules {
  /** 0x private key of the anchorer's account (from its keystore). */
  privateKey: Hex;
  sets: VerifierSetRegistry;
  receipts: AnchorReceiptRepository;
  logger: Logger;
  metrics?: AnchorMetrics;
  /** Called when one of our anchoring transactions is mined. */
  onAnchored?(ev: { stream: `0x${string}`; slot: string; outcome: string; txHash: `0x${string}` }): void;
}

type Outcome = AnchorReceipt["outcome"] | "skipped";

const OUTCOMES: Outcome[] = ["anchored", "already-anchored", "conflicted"];

export class AnchorService {
  readonly opts: AnchorOptions;
  readonly address: Hex;
  private readonly client: PublicClient;
  private readonly wallet: WalletClient<Transport, Chain, Account>;
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  // Transactions from one account go out one at a time (nonces).
  private sending: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    opts: Partial<AnchorOptions> & Pick<AnchorOptions, "rpcUrl" | "chainId" | "contract" | "index">,
    private readonly modules: AnchorServiceModules,
  ) {
    this.opts = { ...defaultAnchorOptions, ...opts };
    if (this.opts.index < 0 || this.opts.index >= this.opts.count) {
      throw new Error(`anchor.index must be in [0, ${this.opts.count})`);
    }
    const chain = defineChain({
      id: this.opts.chainId,
      name: `anchor-${this.opts.chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [this.opts.rpcUrl] } },
    });
    const account = privateKeyToAccount(modules.privateKey);
    this.address = account.address;
    this.client = createPublicClient({ chain, transport: http(this.opts.rpcUrl) }) as PublicClient;
    this.wallet = createWalletClient({ account, chain, transport: http(this.opts.rpcUrl) });
  }

  /** Certificates waiting for their fallback delay or their transaction (a metric). */
  get backlog(): number {
    return this.timers.size + this.inFlight.size;
  }

  /** Anchor root of (stream, slot), or undefined when not anchored. */
  async anchoredRoot(stream: Uint8Array, slot: bigint): Promise<Hex | undefined> {
    const root = (await this.client.readContract({
      address: this.opts.contract,
      abi: OcpAnchor.abi,
      functionName: "anchored",
      args: [toHex(stream), slot],
    } as never)) as Hex;
    return /^0x0+$/.test(root) ? undefined : root;
  }

  /** Called for every certificate the node holds (formed here or received). */
  onCertificate(cert: Certificate): void {
    if (this.stopped) return;
    const slot = cert.observation.slot;
    const mine = Number(slot % BigInt(this.opts.count)) === this.opts.index;
    if (mine) {
      void this.submit(cert);
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.submit(cert);
    }, this.opts.fallbackDelayMs);
    this.timers.add(t);
  }

  /** Anchors `cert` unless its slot is anchored already. Never throws. */
  submit(cert: Certificate): Promise<Outcome> {
    const key = `${toHex(cert.observation.stream)}:${cert.observation.slot}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = this.trySubmit(cert)
      .catch((e: unknown) => {
        this.modules.logger.error(
          { slot: cert.observation.slot.toString(), err: String(e) },
          "anchoring failed",
        );
        this.modules.metrics?.transactions.inc({ result: "error" });
        return "reverted" as Outcome;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async trySubmit(cert: Certificate): Promise<Outcome> {
    const { stream, slot } = cert.observation;
    if (this.stopped) return "skipped";
    // Before sending: a slot anchored by someone else costs us nothing.
    if ((await this.anchoredRoot(stream, slot)) !== undefined) return "skipped";
    const set = this.modules.sets.get(cert.setId);
    if (!set) throw new Error(`unknown set ${toHex(cert.setId)}`);
    const args = [
      {
        stream: toHex(stream),
        slot,
        l1BlockNumber: cert.observation.l1BlockNumber,
        l1BlockHash: toHex(cert.observation.l1BlockHash),
        schema: toHex(cert.observation.schema),
        tableDigest: toHex(cert.observation.tableDigest),
        entryCount: cert.observation.entryCount,
      },
      set.epoch,
      toHex(cert.signers),
      toHex(g2ToEip2537(cert.aggregateSignature)),
    ] as const;
    const result = this.sending.then(() => this.sendWithBumps(cert, args));
    this.sending = result.catch(() => undefined);
    return result;
  }

  private async sendWithBumps(cert: Certificate, args: readonly unknown[]): Promise<Outcome> {
    const { stream, slot } = cert.observation;
    const request = {
      address: this.opts.contract,
      abi: OcpAnchor.abi,
      functionName: "anchor",
      args,
    } as const;
    // Simulation surfaces custom-error reverts (bad certificate) without paying.
    const sim = await this.client.simulateContract({ ...request, account: this.wallet.account } as never);
    const expected = OUTCOMES[Number((sim as { result: number }).result)] ?? "anchored";
    if (expected === "already-anchored") return "already-anchored";
    const estimate = await this.client.estimateContractGas({
      ...request,
      account: this.wallet.account,
    } as never);
    const gas = (estimate * 12n) / 10n < EIP7825_TX_GAS_CAP ? (estimate * 12n) / 10n : EIP7825_TX_GAS_CAP;
    const fees = await this.client.estimateFeesPerGas();
    const cap = this.opts.maxFeePerGasWei;
    let maxFee = fees.maxFeePerGas < cap ? fees.maxFeePerGas : cap;
    let tip = fees.maxPriorityFeePerGas < maxFee ? fees.maxPriorityFeePerGas : maxFee;
    const nonce = await this.client.getTransactionCount({ address: this.address, blockTag: "pending" });
    const sent: Hex[] = [];
    let backoffMs = 500;
    for (let attempt = 0; attempt < this.opts.maxAttempts && !this.stopped; attempt++) {
      try {
        const hash = await this.wallet.writeContract({
          ...request,
          gas,
          nonce,
          maxFeePerGas: maxFee,
          maxPriorityFeePerGas: tip,
        } as never);
        sent.push(hash);
      } catch (e) {
        // A replacement may fail because an earlier one was mined: check.
        if ((await this.anchoredRoot(stream, slot)) !== undefined && sent.length > 0) break;
        this.modules.logger.warn(
          { slot: slot.toString(), attempt, err: String(e) },
          "anchor send failed; retrying",
        );
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs *= 2;
        continue;
      }
      const mined = await this.waitAny(sent);
      if (mined) return this.record(cert, mined, expected);
      // Stuck: bump fees (capped) and replace with the same nonce.
      const bump = (v: bigint): bigint => (v * BigInt(100 + this.opts.gasBumpPercent)) / 100n + 1n;
      maxFee = bump(maxFee) < cap ? bump(maxFee) : cap;
      tip = bump(tip) < maxFee ? bump(tip) : maxFee;
      this.modules.logger.warn(
        { slot: slot.toString(), maxFee: maxFee.toString() },
        "anchor tx stuck; bumping fee",
      );
    }
    const last = await this.waitAny(sent, 1);
    if (last) return this.record(cert, last, expected);
    throw new Error(`no anchoring transaction mined after ${this.opts.maxAttempts} attempts`);
  }

  private async waitAny(
    hashes: Hex[],
    timeoutMs = this.opts.receiptTimeoutMs,
  ): Promise<Awaited<ReturnType<PublicClient["getTransactionReceipt"]>> | undefined> {
    const until = Date.now() + timeoutMs;
    while (Date.now() <= until && !this.stopped) {
      for (const hash of hashes) {
        try {
          return await this.client.getTransactionReceipt({ hash });
        } catch {
          // not mined yet
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return undefined;
  }

  private async record(
    cert: Certificate,
    receipt: Awaited<ReturnType<PublicClient["getTransactionReceipt"]>>,
    expected: Outcome,
  ): Promise<Outcome> {
    const outcome: Outcome = receipt.status === "success" ? expected : "reverted";
    const cost = receipt.gasUsed * receipt.effectiveGasPrice;
    const m = this.modules.metrics;
    m?.transactions.inc({ result: outcome });
    m?.gasUsed.inc(Number(receipt.gasUsed));
    m?.spentWei.inc(Number(cost));
    await this.modules.receipts.put(
      { stream: cert.observation.stream, slot: cert.observation.slot },
      {
        txHash: receipt.transactionHash,
        blockNumber: receipt.blockNumber.toString(),
        gasUsed: receipt.gasUsed.toString(),
        costWei: cost.toString(),
        outcome: outcome === "skipped" ? "already-anchored" : outcome,
        atMs: Date.now(),
      },
    );
    this.modules.logger.info(
      {
        slot: cert.observation.slot.toString(),
        tx: receipt.transactionHash,
        gas: receipt.gasUsed.toString(),
        outcome,
      },
      "anchoring transaction mined",
    );
    this.modules.onAnchored?.({
      stream: toHex(cert.observation.stream),
      slot: cert.observation.slot.toString(),
      outcome,
      txHash: receipt.transactionHash,
    });
    void this.refreshBalance().catch(() => undefined);
    return outcome;
  }

  async refreshBalance(): Promise<bigint> {
    const b = await this.client.getBalance({ address: this.address });
    this.modules.metrics?.balanceWei.set(Number(b));
    return b;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
