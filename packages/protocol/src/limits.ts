// Protocol constants and the limits of docs/spec.md §5, apart from the types
// so that the SSZ definitions (ssz/types.ts) and types.ts both read them.

/** The EIP-712 domain name and version are fixed for the protocol. */
export const DOMAIN_NAME = "ocp";
export const DOMAIN_VERSION = "1";

/** Limits of docs/spec.md §5. */
export const MAX_VERIFIERS_PER_SET = 4096;
export const MAX_BITFIELD_BYTES = MAX_VERIFIERS_PER_SET / 8;
export const MAX_GOSSIP_MESSAGE_BYTES = 4 * 1024;
export const MAX_TABLE_BYTES = 16 * 1024 * 1024;
export const MAX_TABLE_FRAME_BYTES = 1024 * 1024;
export const MAX_CERTIFICATES_PER_RANGE = 64;

export const UINT64_MAX = (1n << 64n) - 1n;
export const UINT32_MAX = 0xffff_ffff;
