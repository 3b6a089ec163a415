// Chain access for commands: viem clients on an RPC URL and funded accounts
// from a V3 keystore or a private-key file. Keys are never printed.
import type { Wallet } from "@ocp/node/anchor";
import { fromHex, toHex } from "@ocp/protocol";
import { createPublicClient, createWalletClient, defineChain, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { decryptV3Keystore } from "../keystoreV3.js";
import { badInput, failed, reason } from "./exit.js";
import { readPassword, readTextFile, secretFromText } from "./io.js";

export function checkUrl(url: string, what: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === "http:" || u.protocol === "https:") return url;
  } catch {
    // reported below
  }
  return badInput(`${what}: expected an http(s) URL, got ${JSON.stringify(url)}`);
}

export function checkAddress(value: string, what: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) return badInput(`${what}: expected a 0x-prefixed 20-byte address`);
  return value.toLowerCase() as `0x${string}`;
}

export function publicClientFor(rpc: string): PublicClient {
  return createPublicClient({
    // Receipts are seen within a second of their block (viem's default is 4 s), so a command
    // that sends its transactions one after another (register-set) spans fewer blocks.
    pollingInterval: 1_000,
    transport: http(checkUrl(rpc, "--rpc"), { retryCount: 0, timeout: 10_000 }),
  });
}

/** eth_chainId of `rpc`; exits 1 when the RPC does not answer. */
export async function chainIdOf(client: PublicClient, rpc: string): Promise<number> {
  try {
    return await client.getChainId();
  } catch (e) {
    return failed(`--rpc ${rpc}: ${shortRpcError(e)}`);
  }
}

/**
 * viem errors carry pages of context; the first line says what happened, and a contract's
 * custom error (e.g. ActivationTooSoon(21, 22)) says why.
 */
export function shortRpcError(e: unknown): string {
  const msg = reason(e);
  const short = (e as { shortMessage?: string }).shortMessage ?? msg.split("\n")[0] ?? msg;
  const custom = revertReason(e);
  return custom === undefined ? short : `${short} ${custom}`;
}

/** The decoded custom error of a reverted call, found down the error's cause chain. */
function revertReason(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c !== null && typeof c === "object" && depth < 8; depth++) {
    const data = (c as { data?: { errorName?: unknown; args?: unknown } }).data;
    if (data !== undefined && typeof data.errorName === "string") {
      const args = Array.isArray(data.args) ? data.args.map((a) => String(a)).join(", ") : "";
      return `${data.errorName}(${args})`;
    }
    c = (c as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface AccountOpts {
  keystore?: string;
  passwordFile?: string;
  privateKeyFile?: string;
}

/** The private key of `--keystore` (V3) + `--password-file`, or of `--private-key-file` (0x hex). */
export async function accountKey(opts: AccountOpts): Promise<Uint8Array> {
  if ((opts.keystore === undefined) === (opts.privateKeyFile === undefined)) {
    return badInput("give either --keystore <v3.json> (with --password-file) or --private-key-file <file>");
  }
  if (opts.privateKeyFile !== undefined) {
    const text = secretFromText(await readTextFile(opts.privateKeyFile, "--private-key-file")).trim();
    try {
      return fromHex(text.startsWith("0x") ? text : `0x${text}`, 32);
    } catch {
      return badInput(`--private-key-file: ${opts.privateKeyFile} does not hold a 32-byte hex private key`);
    }
  }
  const text = await readTextFile(opts.keystore!, "--keystore");
  const password = await readPassword(opts.passwordFile, "--password-file", "Keystore password: ");
  try {
    return await decryptV3Keystore(text, password);
  } catch (e) {
    return badInput(`--keystore: ${opts.keystore}: ${reason(e)}`);
  }
}

/** A wallet on `rpc` (its chain id asked from the RPC) for the account of `opts`. */
export async function walletFor(
  rpc: string,
  opts: AccountOpts,
): Promise<{ wallet: Wallet; client: PublicClient; address: `0x${string}` }> {
  const key = await accountKey(opts);
  const account = privateKeyToAccount(toHex(key));
  key.fill(0);
  const client = publicClientFor(rpc);
  const id = await chainIdOf(client, rpc);
  const chain = defineChain({
    id,
    name: `chain ${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
  const wallet = createWalletClient({ account, chain, transport: http(rpc, { retryCount: 0 }) });
  return { wallet, client, address: account.address };
}
