// Structural check of SSZ bytes against a type, run before @chainsafe/ssz sees
// them: exact sizes, list limits, canonical in-bounds offsets, union selectors.
// It gives each defect a precise error code and bounds the work by the input length.
import { ByteListType, ContainerType, ListCompositeType, type Type, UnionType } from "@chainsafe/ssz";
import { SszErrorCode, sszError } from "./errors.js";

type AnyType = Type<unknown>;
// Only the parts of the library's container and list types that the walker reads.
type ContainerShape = { fieldsEntries: readonly { fieldName: PropertyKey; fieldType: AnyType }[] };
type ListShape = { elementType: AnyType; limit: number };

/** Throws ProtocolError<SszErrorCode> if `view[start, end)` cannot be a canonical `type`. */
export function checkSszShape(type: AnyType, view: DataView, start: number, end: number, path: string): void {
  const size = end - start;
  if (type.fixedSize !== null) {
    if (size < type.fixedSize)
      throw sszError(SszErrorCode.TRUNCATED, `${path}: ${size} bytes, expected ${type.fixedSize}`);
    if (size > type.fixedSize)
      throw sszError(SszErrorCode.TRAILING_BYTES, `${path}: ${size} bytes, expected ${type.fixedSize}`);
    // Fixed-size types here (uints, byte vectors, containers of those) accept any bytes.
    return;
  }
  if (type instanceof UnionType) {
    // Checked before the union's own min/max so that a wrong length is reported
    // against the selected option (TRUNCATED / TRAILING_BYTES), not as the union's.
    if (size < 1) throw sszError(SszErrorCode.TRUNCATED, `${path}: no selector byte`);
    const selector = view.getUint8(start);
    const options = type.types as AnyType[];
    const option = options[selector];
    if (option === undefined)
      throw sszError(
        SszErrorCode.BAD_SELECTOR,
        `${path}: selector ${selector}, expected < ${options.length}`,
      );
    checkSszShape(option, view, start + 1, end, `${path}.value`);
    return;
  }
  if (size < type.minSize)
    throw sszError(SszErrorCode.TRUNCATED, `${path}: ${size} bytes, minimum ${type.minSize}`);
  if (size > type.maxSize)
    throw sszError(SszErrorCode.OVERSIZED, `${path}: ${size} bytes, maximum ${type.maxSize}`);

  if (type instanceof ByteListType) return; // size ≤ maxSize = limit already checked
  if (type instanceof ContainerType) {
    checkContainer(type, view, start, end, path);
    return;
  }
  if (type instanceof ListCompositeType) {
    checkList(type, view, start, end, path);
    return;
  }
  // Our types are a few fixed trees, so this is a programming error the tests catch.
  throw sszError(SszErrorCode.INVALID, `${path}: unsupported SSZ type ${type.typeName}`);
}

function checkContainer(
  type: ContainerShape,
  view: DataView,
  start: number,
  end: number,
  path: string,
): void {
  const size = end - start;
  const fields = type.fieldsEntries;
  // Fixed part: fixed fields inline, a 4-byte offset for each variable one.
  let fixedEnd = 0;
  for (const { fieldType } of fields) fixedEnd += fieldType.fixedSize ?? 4;
  if (size < fixedEnd)
    throw sszError(SszErrorCode.TRUNCATED, `${path}: ${size} bytes, fixed part ${fixedEnd}`);

  const variable: { name: string; type: AnyType; offset: number }[] = [];
  let pos = 0;
  for (const { fieldName, fieldType } of fields) {
    if (fieldType.fixedSize !== null) {
      pos += fieldType.fixedSize;
      continue;
    }
    const offset = view.getUint32(start + pos, true);
    const prev = variable.length === 0 ? undefined : variable[variable.length - 1]!.offset;
    if (prev === undefined ? offset !== fixedEnd : offset < prev || offset > size)
      throw sszError(
        SszErrorCode.BAD_OFFSET,
        `${path}.${String(fieldName)}: offset ${offset} (fixed part ${fixedEnd}, size ${size})`,
      );
    variable.push({ name: String(fieldName), type: fieldType, offset });
    pos += 4;
  }
  for (let i = 0; i < variable.length; i++) {
    const f = variable[i]!;
    const fEnd = i + 1 < variable.length ? variable[i + 1]!.offset : size;
    checkSszShape(f.type, view, start + f.offset, start + fEnd, `${path}.${f.name}`);
  }
}

function checkList(type: ListShape, view: DataView, start: number, end: number, path: string): void {
  const size = end - start;
  const element = type.elementType;
  if (element.fixedSize !== null) {
    if (size % element.fixedSize !== 0)
      throw sszError(
        SszErrorCode.TRUNCATED,
        `${path}: ${size} bytes is not a whole number of ${element.fixedSize}-byte elements`,
      );
    const count = size / element.fixedSize;
    if (count > type.limit)
      throw sszError(SszErrorCode.OVERSIZED, `${path}: ${count} elements, limit ${type.limit}`);
    return;
  }
  if (size === 0) return;
  if (size < 4) throw sszError(SszErrorCode.TRUNCATED, `${path}: ${size} bytes, no room for an offset`);
  // The first offset is the length of the offset table, so it gives the element count.
  const first = view.getUint32(start, true);
  if (first === 0 || first % 4 !== 0 || first > size)
    throw sszError(SszErrorCode.BAD_OFFSET, `${path}[0]: offset ${first} (size ${size})`);
  const count = first / 4;
  // Checked before reading the table, so a hostile first offset costs nothing.
  if (count > type.limit)
    throw sszError(SszErrorCode.OVERSIZED, `${path}: ${count} elements, limit ${type.limit}`);
  let prev = first;
  for (let i = 1; i <= count; i++) {
    const next = i < count ? view.getUint32(start + 4 * i, true) : size;
    if (next < prev || next > size)
      throw sszError(
        SszErrorCode.BAD_OFFSET,
        `${path}[${i}]: offset ${next} (previous ${prev}, size ${size})`,
      );
    checkSszShape(element, view, start + prev, start + next, `${path}[${i - 1}]`);
    prev = next;
  }
}
