// Shared setup for the OcpAnchor integration tests: viem clients on anvil, key
// generation (blst signing, noble PoPs via @ocp/protocol), chunked key and set
// registration, certificate conversion to the contract's calldata.
import { ExampleRollup, HashToG2Harness, OcpAnchor } from "@ocp/contracts";
import {
  type BlsSecretKey,
  type Domain,
  g1ToEip2537,
  g2ToEip2537,
  getBls,
  type Observation,
  toHex,
} from "@ocp/protocol";
import {
  type Abi,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { ANVIL_POLLING_MS, ANVIL_PRIVATE_KEYS } from "../utils/anvil.js";

export const EIP7825_TX_GAS_CAP = 1n << 24n;
/** Keys per registerKeys transaction: ~190k gas each keeps a chunk near 12M, under the cap. */
export const KEYS_PER_REGISTRATION = 64;
export const MEMBERS_PER_CHUNK = 236;

export interface Chain {
  pub: PublicClient;
  wallet: WalletClient;
  account: ReturnType<typeof privateKeyToAccount>;
  other: ReturnType<typeof privateKeyToAccount>;
}

export function connect(rpcUrl: string): Chain {
  const account = privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]);
  const other = privateKeyToAccount(ANVIL_PRIVATE_KEYS[1]);
  const transport = http(rpcUrl);
  const pollingInterval = ANVIL_POLLING_MS;
  return {
    pub: createPublicClient({ chain: foundry, transport, pollingInterval }),
    wallet: createWalletClient({ chain: foundry, transport, account, pollingInterval }),
    account,
    other,
  };
}

export async function deploy(
  c: Chain,
  artifact: { abi: Abi; bytecode: Hex },
  args: unknown[] = [],
): Promise<Hex> {
  const hash = await c.wallet.deployContract({
    abi: artifact.abi,
    bytecode: artifact.bytecode,
    args,
    account: c.account,
    chain: foundry,
  } as never);
  const r = await c.pub.waitForTransactionReceipt({ hash });
  if (r.status !== "success" || !r.contractAddress) throw new Error("deploy failed");
  return r.contractAddress;
}

export const deployAnchor = (c: Chain, l1ChainId = 1n): Promise<Hex> =>
  deploy(c, OcpAnchor, [c.account.address, l1ChainId]);
export const deployHarness = (c: Chain): Promise<Hex> => deploy(c, HashToG2Harness);
export const deployRollup = (c: Chain, anchor: Hex, stream: Hex): Promise<Hex> =>
  deploy(c, ExampleRollup, [anchor, stream]);

/** Sends a transaction and waits for its receipt; throws if it reverted. */
export async function send(
  c: Chain,
  address: Hex,
  abi: Abi,
  functionName: string,
  args: unknown[],
  from = c.account,
  /** A fixed gas limit instead of an estimate (which re-executes the call many times). */
  gas?: bigint,
): Promise<TransactionReceipt> {
  const hash = await c.wallet.writeContract({
    address,
    abi,
    functionName,
    args,
    account: from,
    chain: foundry,
    ...(gas === undefined ? {} : { gas }),
  } as never);
  const r = await c.pub.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`${functionName} reverted`);
  return r;
}

export async function read<T>(
  c: Chain,
  address: Hex,
  abi: Abi,
  functionName: string,
  args: unknown[],
): Promise<T> {
  return (await c.pub.readContract({ address, abi, functionName, args } as never)) as T;
}

/** The custom error name an eth_call of the function reverts with ("" if it succeeds). */
export async function revertName(
  c: Chain,
  address: Hex,
  abi: Abi,
  functionName: string,
  args: unknown[],
  from = c.account,
): Promise<string> {
  try {
    await c.pub.simulateContract({ address, abi, functionName, args, account: from } as never);
    return "";
  } catch (e) {
    if (e instanceof BaseError) {
      const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
      if (r instanceof ContractFunctionRevertedError) return r.data?.errorName ?? `raw:${r.raw ?? ""}`;
    }
    throw e;
  }
}

export interface Verifier {
  sk: BlsSecretKey;
  pubkey: Uint8Array;
  pop: Uint8Array;
  /** EIP-2537 forms. */
  pubkey128: Uint8Array;
  pop256: Uint8Array;
}

/** Deterministic verifier keys (IKM from `seed` and the index). PoPs via noble (~30 ms each). */
export function makeVerifiers(n: number, seed: string): Verifier[] {
  const bls = getBls();
  const out: Verifier[] = [];
  for (let i = 0; i < n; i++) {
    const ikm = Buffer.from(keccak256(Buffer.from(`${seed}:${i}`)).slice(2), "hex");
    const sk = bls.keygen(new Uint8Array(ikm));
    const pubkey = bls.publicKeyToBytes(bls.publicKey(sk));
    const pop = bls.popProve(sk);
    out.push({ sk, pubkey, pop, pubkey128: g1ToEip2537(pubkey), pop256: g2ToEip2537(pop) });
  }
  return out;
}

const cat = (parts: Uint8Array[]): Hex => toHex(Buffer.concat(parts));

/** Registers keys in chunks; returns the receipts. */
export async function registerKeys(c: Chain, anchor: Hex, vs: Verifier[]): Promise<TransactionReceipt[]> {
  const receipts: TransactionReceipt[] = [];
  for (let i = 0; i < vs.length; i += KEYS_PER_REGISTRATION) {
    const chunk = vs.slice(i, i + KEYS_PER_REGISTRATION);
    receipts.push(
      await send(
        c,
        anchor,
        OcpAnchor.abi,
        "registerKeys",
        [cat(chunk.map((v) => v.pubkey128)), cat(chunk.map((v) => v.pop256))],
        c.account,
        // The cap itself: a chunk over it runs out of gas and `send` throws. An
        // estimate would run a chunk's 64 on-chain PoP checks some 20 times.
        EIP7825_TX_GAS_CAP,
      ),
    );
  }
  return receipts;
}

export interface SetSpec {
  epoch: bigint;
  activationSlot: bigint;
  numerator: bigint;
  denominator: bigint;
  members: Verifier[];
  weights: bigint[];
}

/** beginSet, addSetMembers in chunks of 236, finalizeSet; returns the receipts. */
export async function registerSet(c: Chain, anchor: Hex, s: SetSpec): Promise<TransactionReceipt[]> {
  const rs = [
    await send(c, anchor, OcpAnchor.abi, "beginSet", [
      s.epoch,
      s.activationSlot,
      s.numerator,
      s.denominator,
      s.members.length,
    ]),
  ];
  for (let i = 0; i < s.members.length; i += MEMBERS_PER_CHUNK) {
    const m = s.members.slice(i, i + MEMBERS_PER_CHUNK);
    rs.push(
      await send(
        c,
        anchor,
        OcpAnchor.abi,
        "addSetMembers",
        [cat(m.map((v) => v.pubkey128)), s.weights.slice(i, i + MEMBERS_PER_CHUNK)],
        c.account,
      ),
    );
  }
  rs.push(await send(c, anchor, OcpAnchor.abi, "finalizeSet", []));
  return rs;
}

/** The ABI struct form of an observation. */
export function obsArg(o: Observation) {
  return {
    stream: toHex(o.stream),
    slot: o.slot,
    l1BlockNumber: o.l1BlockNumber,
    l1BlockHash: toHex(o.l1BlockHash),
    schema: toHex(o.schema),
    tableDigest: toHex(o.tableDigest),
    entryCount: o.entryCount,
  };
}

export function domainOf(chainId: number, anchor: Hex): Domain {
  return { chainId, verifyingContract: new Uint8Array(Buffer.from(anchor.slice(2), "hex")) };
}

export function bytes32(label: string): Uint8Array {
  return new Uint8Array(Buffer.from(keccak256(Buffer.from(label)).slice(2), "hex"));
}

export function makeObservation(stream: Uint8Array, slot: bigint, table = "t"): Observation {
  return {
    stream,
    slot,
    l1BlockNumber: slot,
    l1BlockHash: bytes32(`block:${slot}`),
    schema: bytes32("ocp.merkle.v1"),
    tableDigest: bytes32(`${table}:${slot}`),
    entryCount: 3,
  };
}
