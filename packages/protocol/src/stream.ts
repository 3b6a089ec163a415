// Stream identifiers (docs/spec.md §3): one execution-table source on one L1.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { ProtocolError } from "./errors.js";

export enum StreamErrorCode {
  INVALID_CHAIN_ID = "STREAM_ERROR_INVALID_CHAIN_ID",
  INVALID_ADDRESS = "STREAM_ERROR_INVALID_ADDRESS",
}

/** stream = keccak256(abi.encode(uint256 l1ChainId, address tableContract)). */
export function streamId(l1ChainId: number | bigint, tableContract: Uint8Array): Uint8Array {
  const chainId = BigInt(l1ChainId);
  if (chainId < 0n || chainId >= 1n << 256n) throw new ProtocolError(StreamErrorCode.INVALID_CHAIN_ID);
  if (tableContract.length !== 20)
    throw new ProtocolError(StreamErrorCode.INVALID_ADDRESS, "expected 20 bytes");
  const buf = new Uint8Array(64);
  let v = chainId;
  for (let i = 31; i >= 0 && v > 0n; i--) {
    buf[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  buf.set(tableContract, 44);
  return keccak_256(buf);
}
