// The common key head of per-slot buckets: stream(32) ‖ slot(uint64 BE).

import { joinKey, readUint64BE, uint64BE } from "./keys.js";
import { bytesCodec, type Codec } from "./repository.js";

export const STREAM_BYTES = 32;
export const STREAM_SLOT_BYTES = STREAM_BYTES + 8;

export interface StreamSlot {
  stream: Uint8Array;
  slot: bigint;
}

export function streamSlotKey(stream: Uint8Array, slot: bigint): Uint8Array {
  return joinKey([[stream, STREAM_BYTES], uint64BE(slot)]);
}

export function readStreamSlot(key: Uint8Array, offset = 0): StreamSlot {
  return {
    stream: Uint8Array.from(key.subarray(offset, offset + STREAM_BYTES)),
    slot: readUint64BE(key, offset + STREAM_BYTES),
  };
}

export const streamSlotCodec: Codec<StreamSlot> = {
  encode: (k) => streamSlotKey(k.stream, k.slot),
  decode: (b) => readStreamSlot(b),
};

/** Key bounds for slots [fromSlot, toSlot) of one stream; `toSlot` undefined = to the end. */
export function slotRange(
  stream: Uint8Array,
  fromSlot: bigint,
  toSlot?: bigint,
): { gte: Uint8Array; lt?: Uint8Array; prefix: Uint8Array } {
  const out: { gte: Uint8Array; lt?: Uint8Array; prefix: Uint8Array } = {
    prefix: bytesCodec.encode(stream),
    gte: streamSlotKey(stream, fromSlot),
  };
  if (toSlot !== undefined) out.lt = streamSlotKey(stream, toSlot);
  return out;
}
