// The byte form of a slot's table, as stored and served by table_by_digest:
// the successful calls in execution order, each with its transaction's blob
// hashes, so a peer can recompute the digest with eezTableDigest.
// Layout: u32 callCount, then per call: u32 calldataLength, calldata,
// u8 blobCount, blobCount × 32-byte hashes. Big-endian.
import { type EezCall, MAX_TABLE_BYTES, ProtocolError } from "@ocp/protocol";

export enum TableBytesErrorCode {
  TRUNCATED = "TABLE_BYTES_ERROR_TRUNCATED",
  TRAILING = "TABLE_BYTES_ERROR_TRAILING",
  TOO_LARGE = "TABLE_BYTES_ERROR_TOO_LARGE",
}

export function encodeTableBytes(calls: readonly EezCall[]): Uint8Array {
  let len = 4;
  for (const c of calls) len += 4 + c.calldata.length + 1 + 32 * (c.blobHashes?.length ?? 0);
  if (len > MAX_TABLE_BYTES) throw new ProtocolError(TableBytesErrorCode.TOO_LARGE, `${len} bytes`);
  const out = new Uint8Array(len);
  const view = new DataView(out.buffer);
  view.setUint32(0, calls.length);
  let o = 4;
  for (const c of calls) {
    view.setUint32(o, c.calldata.length);
    out.set(c.calldata, o + 4);
    o += 4 + c.calldata.length;
    const blobs = c.blobHashes ?? [];
    if (blobs.length > 255) throw new ProtocolError(TableBytesErrorCode.TOO_LARGE, "more than 255 blobs");
    out[o++] = blobs.length;
    for (const b of blobs) {
      out.set(b, o);
      o += 32;
    }
  }
  return out;
}

/** Decodes untrusted table bytes; throws only ProtocolError. */
export function decodeTableBytes(bytes: Uint8Array): EezCall[] {
  if (bytes.length > MAX_TABLE_BYTES) throw new ProtocolError(TableBytesErrorCode.TOO_LARGE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (o: number, n: number): void => {
    if (o + n > bytes.length) throw new ProtocolError(TableBytesErrorCode.TRUNCATED, `at ${o}`);
  };
  need(0, 4);
  const count = view.getUint32(0);
  // Each call takes at least 5 bytes: bounds the loop before allocating.
  if (count > (bytes.length - 4) / 5) throw new ProtocolError(TableBytesErrorCode.TRUNCATED, "call count");
  const calls: EezCall[] = [];
  let o = 4;
  for (let i = 0; i < count; i++) {
    need(o, 4);
    const n = view.getUint32(o);
    o += 4;
    need(o, n + 1);
    const calldata = bytes.slice(o, o + n);
    o += n;
    const nb = bytes[o++]!;
    need(o, 32 * nb);
    const blobHashes: Uint8Array[] = [];
    for (let j = 0; j < nb; j++, o += 32) blobHashes.push(bytes.slice(o, o + 32));
    calls.push({ calldata, blobHashes });
  }
  if (o !== bytes.length) throw new ProtocolError(TableBytesErrorCode.TRAILING);
  return calls;
}
