// String keys shared by validation, pools and seen caches: a message's place is
// (domain, stream, slot), written once here so every module agrees.
import { type Domain, toHex } from "@ocp/protocol";

/** `chainId:0xcontract` — one network domain. */
export function domainKey(domain: Domain): string {
  return `${domain.chainId}:${toHex(domain.verifyingContract)}`;
}

/** `domainKey|0xstream|slot` — where a message belongs. */
export function slotKey(domainKeyStr: string, streamHex: string, slot: bigint): string {
  return `${domainKeyStr}|${streamHex}|${slot}`;
}
