// Checks of values against their SSZ definitions, walking the definition
// itself rather than a hand-written list of fields: what @chainsafe/ssz does
// not check on serialize (byte lengths, integer ranges, list limits), and the
// one rule of the decode side that SSZ cannot express (a uint64 the protocol
// holds as a number must stay below 2^53). Both throw ProtocolError<SszErrorCode>.
import {
  ByteListType,
  ByteVectorType,
  ContainerType,
  ListCompositeType,
  type Type,
  UintBigintType,
  UintNumberType,
  UnionType,
} from "@chainsafe/ssz";
import { SszErrorCode, sszError } from "./errors.js";

type AnyType = Type<unknown>;
type Fields = { fieldsEntries: readonly { fieldName: PropertyKey; fieldType: AnyType }[] };

function invalid(path: string, what: string): never {
  throw sszError(SszErrorCode.INVALID_VALUE, `${path}: ${what}`);
}

function bytes(v: unknown, path: string): Uint8Array {
  if (!(v instanceof Uint8Array)) invalid(path, "expected a Uint8Array");
  return v;
}

/** Throws INVALID_VALUE unless `v` is a value `type` serializes faithfully. */
export function assertSszValue(type: AnyType, v: unknown, path: string): void {
  if (type instanceof ContainerType) {
    if (typeof v !== "object" || v === null) invalid(path, "expected an object");
    for (const { fieldName, fieldType } of (type as unknown as Fields).fieldsEntries) {
      assertSszValue(
        fieldType,
        (v as Record<PropertyKey, unknown>)[fieldName],
        `${path}.${String(fieldName)}`,
      );
    }
  } else if (type instanceof ByteVectorType) {
    const b = bytes(v, path);
    if (b.length !== type.lengthBytes) invalid(path, `expected ${type.lengthBytes} bytes, got ${b.length}`);
  } else if (type instanceof ByteListType) {
    const b = bytes(v, path);
    if (b.length > type.limitBytes) invalid(path, `at most ${type.limitBytes} bytes, got ${b.length}`);
  } else if (type instanceof UintBigintType) {
    if (typeof v !== "bigint") invalid(path, "expected a bigint");
    if (v < 0n || v >= 1n << BigInt(8 * type.byteLength))
      invalid(path, `${v} is not a uint${8 * type.byteLength}`);
  } else if (type instanceof UintNumberType) {
    const max = Math.min(Number.MAX_SAFE_INTEGER, 2 ** (8 * type.byteLength) - 1);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max)
      invalid(path, `${String(v)} is not an integer in [0, ${max}]`);
  } else if (type instanceof ListCompositeType) {
    if (!Array.isArray(v)) invalid(path, "expected an array");
    if (v.length > type.limit) invalid(path, `at most ${type.limit} elements, got ${v.length}`);
    for (const [i, x] of v.entries()) assertSszValue(type.elementType as AnyType, x, `${path}[${i}]`);
  } else if (type instanceof UnionType) {
    const u = v as { selector?: unknown; value?: unknown } | null;
    const option = typeof u?.selector === "number" ? (type.types as AnyType[])[u.selector] : undefined;
    if (option === undefined) invalid(path, `unknown selector ${String(u?.selector)}`);
    assertSszValue(option, u!.value, `${path}.value`);
  } else {
    // Our definitions are a few fixed trees: a type not handled above is a programming error.
    invalid(path, `unsupported SSZ type ${type.typeName}`);
  }
}

/** Whether a value of `type` can hold a uint64 decoded into a number (cached per type). */
const holdsWideNumber = new WeakMap<AnyType, boolean>();
function wide(type: AnyType): boolean {
  let r = holdsWideNumber.get(type);
  if (r !== undefined) return r;
  if (type instanceof UintNumberType) r = type.byteLength > 6;
  else if (type instanceof ContainerType)
    r = (type as unknown as Fields).fieldsEntries.some((f) => wide(f.fieldType));
  else if (type instanceof ListCompositeType) r = wide(type.elementType as AnyType);
  else if (type instanceof UnionType) r = (type.types as AnyType[]).some(wide);
  else r = false;
  holdsWideNumber.set(type, r);
  return r;
}

/**
 * Throws OUT_OF_RANGE when a decoded uint64 that the protocol holds as a
 * number is above 2^53-1 (it could not be held exactly).
 */
export function assertDecodedRanges(type: AnyType, v: unknown, path: string): void {
  if (!wide(type)) return;
  if (type instanceof UintNumberType) {
    if ((v as number) > Number.MAX_SAFE_INTEGER)
      throw sszError(SszErrorCode.OUT_OF_RANGE, `${path}: ${v} > ${Number.MAX_SAFE_INTEGER}`);
  } else if (type instanceof ContainerType) {
    for (const { fieldName, fieldType } of (type as unknown as Fields).fieldsEntries) {
      assertDecodedRanges(
        fieldType,
        (v as Record<PropertyKey, unknown>)[fieldName],
        `${path}.${String(fieldName)}`,
      );
    }
  } else if (type instanceof ListCompositeType) {
    for (const [i, x] of (v as unknown[]).entries())
      assertDecodedRanges(type.elementType as AnyType, x, `${path}[${i}]`);
  } else if (type instanceof UnionType) {
    const u = v as { selector: number; value: unknown };
    assertDecodedRanges((type.types as AnyType[])[u.selector]!, u.value, `${path}.value`);
  }
}

/** Whether `v` is a value of `type` (assertSszValue without the error). */
export function isSszValue<T>(type: Type<T>, v: unknown): v is T {
  try {
    assertSszValue(type as AnyType, v, "");
    return true;
  } catch {
    return false;
  }
}
