// OcpAnchor administration: deploy, register keys (chunked under EIP-7825's
// per-transaction gas cap) and register verifier sets; read sets back.
import { OcpAnchor } from "@ocp/contracts";
import {
  bytesEqual,
  computeKeysHash,
  computeSetId,
  concatBytes,
  fromHex,
  g1FromEip2537,
  g1ToEip2537,
  g2FromEip2537,
  g2ToEip2537,
  toHex,
  type VerifierEntry,
  type VerifierSetData,
} from "@ocp/protocol";
import type { Account, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";

/** EIP-7825: no transaction may use more than 2^24 gas. */
export const EIP7825_TX_GAS_CAP = 1n << 24n;
/**
 * Keys per registerKeys transaction: each key costs a PoP check on-chain
 * (hash-to-G2 + pairing ≈ 180k gas) plus storage, so 64 keys stay well
 * under the 16.7M cap (measured ≈ 13M).
 */
export const KEYS_PER_REGISTRATION = 64;
/** Set members per addSetMembers transaction (code-chunk writes). */
export const MEMBERS_PER_CHUNK = 236;

export type Wallet = WalletClient<Transport, Chain, Account>;

async function sendAndWait(
  wallet: Wallet,
  client: PublicClient,
  anchor: Hex,
  functionName: string,
  args: readonly unknown[],
  gas?: bigint,
): Promise<{ hash: Hex; gasUsed: bigint }> {
  const hash = await wallet.writeContract({
    address: anchor,
    abi: OcpAnchor.abi,
    functionName: functionName as never,
    args: args as never,
    ...(gas === undefined ? {} : { gas }),
  } as never);
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${functionName} reverted (tx ${hash})`);
  return { hash, gasUsed: receipt.gasUsed };
}

export async function deployAnchor(
  wallet: Wallet,
  client: PublicClient,
  opts: { owner?: Hex; l1ChainId: bigint | number },
): Promise<Hex> {
  const hash = await wallet.deployContract({
    abi: OcpAnchor.abi,
    bytecode: OcpAnchor.bytecode,
    args: [opts.owner ?? wallet.account.address, BigInt(opts.l1ChainId)],
  } as never);
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress)
    throw new Error("OcpAnchor deployment failed");
  return receipt.contractAddress;
}

/** Registers keys not yet registered, in chunks; returns the gas used per transaction. */
export async function registerKeys(
  wallet: Wallet,
  client: PublicClient,
  anchor: Hex,
  keys: readonly { pubkey: Uint8Array; pop: Uint8Array }[],
): Promise<bigint[]> {
  const pending: { pubkey: Uint8Array; pop: Uint8Array }[] = [];
  for (const k of keys) {
    const idx = (await client.readContract({
      address: anchor,
      abi: OcpAnchor.abi,
      functionName: "keyIndex",
      args: [toHex(g1ToEip2537(k.pubkey))],
    } as never)) as bigint;
    if (idx < 0n) pending.push(k);
  }
  const gas: bigint[] = [];
  for (let i = 0; i < pending.length; i += KEYS_PER_REGISTRATION) {
    const chunk = pending.slice(i, i + KEYS_PER_REGISTRATION);
    const r = await sendAndWait(
      wallet,
      client,
      anchor,
      "registerKeys",
      [
        toHex(concatBytes(...chunk.map((k) => g1ToEip2537(k.pubkey)))),
        toHex(concatBytes(...chunk.map((k) => g2ToEip2537(k.pop)))),
      ],
      EIP7825_TX_GAS_CAP - 1n,
    );
    gas.push(r.gasUsed);
  }
  return gas;
}

/** beginSet → addSetMembers (chunked) → finalizeSet; returns the contract's set id. */
export async function registerSet(
  wallet: Wallet,
  client: PublicClient,
  anchor: Hex,
  set: VerifierSetData,
): Promise<Hex> {
  const n = set.verifiers.length;
  await sendAndWait(wallet, client, anchor, "beginSet", [
    set.epoch,
    set.activationSlot,
    BigInt(set.quorum.numerator),
    BigInt(set.quorum.denominator),
    n,
  ]);
  for (let i = 0; i < n; i += MEMBERS_PER_CHUNK) {
    const m = set.verifiers.slice(i, i + MEMBERS_PER_CHUNK);
    await sendAndWait(
      wallet,
      client,
      anchor,
      "addSetMembers",
      [toHex(concatBytes(...m.map((v) => g1ToEip2537(v.pubkey)))), m.map((v) => v.weight)],
      EIP7825_TX_GAS_CAP - 1n,
    );
  }
  await sendAndWait(wallet, client, anchor, "finalizeSet", []);
  return (await client.readContract({
    address: anchor,
    abi: OcpAnchor.abi,
    functionName: "setIdOf",
    args: [set.epoch],
  } as never)) as Hex;
}

type SetView = readonly [Hex, bigint, number, bigint, bigint, bigint, Hex];

/** Log order key: events are replayed in chain order. */
const logOrder = (l: { blockNumber: bigint | null; logIndex: number | null }): bigint =>
  (l.blockNumber ?? 0n) * 1_000_000n + BigInt(l.logIndex ?? 0);
const byLogOrder = (a: Parameters<typeof logOrder>[0], b: Parameters<typeof logOrder>[0]): number => {
  const x = logOrder(a);
  const y = logOrder(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Rebuilds every finalized verifier set of an OcpAnchor as VerifierSetData,
 * oldest epoch first: parameters from the `verifierSet(epoch)` view, members
 * from `SetMembersAdded` events (falling back to `verifierAt` calls when the
 * events do not reproduce the contract's set id, e.g. after a restarted
 * set), proofs of possession from `KeyRegistered` events. Each set's id is
 * checked against `setIdOf`; a set that cannot be rebuilt throws.
 */
export async function readVerifierSets(
  client: PublicClient,
  anchor: Hex,
  opts: { fromBlock?: bigint } = {},
): Promise<VerifierSetData[]> {
  const read = (functionName: string, args: readonly unknown[] = []): Promise<unknown> =>
    client.readContract({ address: anchor, abi: OcpAnchor.abi, functionName, args } as never);
  const [exists, latest] = (await read("latestEpoch")) as readonly [boolean, bigint];
  if (!exists) return [];
  const fromBlock = opts.fromBlock ?? 0n;
  const events = (
    eventName: string,
  ): Promise<{ args: Record<string, unknown>; blockNumber: bigint | null; logIndex: number | null }[]> =>
    client.getContractEvents({
      address: anchor,
      abi: OcpAnchor.abi,
      eventName,
      fromBlock,
      toBlock: "latest",
    } as never) as never;

  const pops = new Map<string, Uint8Array>();
  for (const log of await events("KeyRegistered")) {
    pops.set(String(log.args.pubkey).toLowerCase(), g2FromEip2537(fromHex(log.args.pop as Hex)));
  }
  const registered = (await events("SetRegistered")).sort(byLogOrder);
  const members = (await events("SetMembersAdded")).sort(byLogOrder);

  const epochs = [...new Set(registered.map((l) => l.args.epoch as bigint))].filter((e) => e <= latest);
  const out: VerifierSetData[] = [];
  for (const epoch of epochs) {
    const view = (await read("verifierSet", [epoch])) as SetView;
    const [setId, activationSlot, size, , numerator, denominator] = view;
    if (/^0x0+$/.test(setId)) continue;
    const quorum = { numerator: Number(numerator), denominator: Number(denominator) };
    const reg = registered.filter((l) => l.args.epoch === epoch).at(-1)!;
    // Members of the last build of this epoch: the chunks logged before its SetRegistered, by index.
    const keys: (Uint8Array | undefined)[] = new Array(size);
    const weights: (bigint | undefined)[] = new Array(size);
    for (const log of members) {
      if (log.args.epoch !== epoch || logOrder(log) > logOrder(reg)) continue;
      const first = Number(log.args.firstIndex);
      const pks = fromHex(log.args.pubkeys as Hex);
      const ws = log.args.weights as readonly bigint[];
      for (let j = 0; j < ws.length && first + j < size; j++) {
        keys[first + j] = pks.subarray(48 * j, 48 * (j + 1));
        weights[first + j] = ws[j];
      }
    }
    const complete = (a: readonly unknown[]): boolean => a.length === size && a.every((x) => x !== undefined);
    const idOf = (ks: Uint8Array[], ws: bigint[]): Uint8Array =>
      computeSetId(epoch, computeKeysHash(ks), ws, quorum);
    let ks = keys as Uint8Array[];
    let ws = weights as bigint[];
    if (!complete(keys) || !complete(weights) || !bytesEqual(idOf(ks, ws), fromHex(setId))) {
      ks = [];
      ws = [];
      for (let i = 0; i < size; i++) {
        const [pk, w] = (await read("verifierAt", [epoch, BigInt(i)])) as readonly [Hex, bigint];
        ks.push(g1FromEip2537(fromHex(pk)));
        ws.push(w);
      }
      if (!bytesEqual(idOf(ks, ws), fromHex(setId))) {
        throw new Error(`epoch ${epoch}: members read back do not give the contract's set id ${setId}`);
      }
    }
    const verifiers: VerifierEntry[] = ks.map((pubkey, i) => {
      const pop = pops.get(toHex(pubkey));
      if (pop === undefined)
        throw new Error(`epoch ${epoch}: no KeyRegistered event for member ${i} ${toHex(pubkey)}`);
      return { pubkey: Uint8Array.from(pubkey), weight: ws[i]!, pop };
    });
    out.push({ epoch, activationSlot, quorum, verifiers });
  }
  return out;
}
