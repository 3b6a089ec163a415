// OcpAnchor administration: deploy, register keys (chunked under EIP-7825's
// per-transaction gas cap) and register verifier sets; read sets back.
import { OcpAnchor } from "@ocp/contracts";
import { concatBytes, g1ToEip2537, g2ToEip2537, toHex, type VerifierSetData } from "@ocp/protocol";
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
