// jsonSchemaOf walks an SSZ definition: a field added to a container appears
// in its JSON Schema, in field order and bounded by its type, with no other edit.
import {
  ByteListType,
  ByteVectorType,
  ContainerType,
  ListCompositeType,
  UintNumberType,
} from "@chainsafe/ssz";
import { describe, expect, it } from "vitest";
import { decimalJsonSchema, jsonSchemaOf } from "../../src/jsonSchema.js";
import { sszDomain, sszObservation, sszStatus } from "../../src/ssz/types.js";

describe("jsonSchemaOf", () => {
  it("a field added to a container reaches its schema", () => {
    const extended = new ContainerType(
      { ...sszObservation.fields, extra: new ByteVectorType(3), tail: new ByteListType(7) },
      { typeName: "ObservationV2" },
    );
    const base = jsonSchemaOf(sszObservation);
    const s = jsonSchemaOf(extended);
    expect(Object.keys(s.properties)).toEqual([...Object.keys(base.properties), "extra", "tail"]);
    expect(s.required).toEqual([...base.required, "extra", "tail"]);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.extra).toEqual({ type: "string", pattern: "^0x[0-9a-fA-F]{6}$" });
    expect(s.properties.tail).toEqual({ type: "string", pattern: "^0x([0-9a-fA-F]{2})*$", maxLength: 16 });
  });

  it("maps each SSZ leaf to its JSON form's bounds", () => {
    const s = jsonSchemaOf(sszObservation);
    expect(s.properties.slot).toBe(decimalJsonSchema);
    expect(s.properties.entryCount).toEqual({ type: "integer", minimum: 0, maximum: 2 ** 32 - 1 });
    // A uint64 held as a number stays a safe integer.
    expect(jsonSchemaOf(new UintNumberType(8))).toEqual({
      type: "integer",
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
    });
    const status = jsonSchemaOf(sszStatus);
    expect(status.properties.setIds).toEqual({
      type: "array",
      items: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" },
      maxItems: 16,
    });
    expect(jsonSchemaOf(new ListCompositeType(sszDomain, 3))).toMatchObject({ maxItems: 3 });
  });

  it("a domain's form also carries the fixed EIP-712 name and version, first", () => {
    const s = jsonSchemaOf(sszDomain);
    expect(Object.keys(s.properties)).toEqual(["name", "version", "chainId", "verifyingContract"]);
    expect(s.properties.name).toEqual({ type: "string", const: "ocp" });
    expect(s.properties.version).toEqual({ type: "string", const: "1" });
  });

  it("puts a description on the field it names", () => {
    const s = jsonSchemaOf(sszObservation, { descriptions: { "Observation.schema": "schema id" } });
    expect(s.properties.schema).toEqual({
      type: "string",
      pattern: "^0x[0-9a-fA-F]{64}$",
      description: "schema id",
    });
    expect(s.properties.stream).not.toHaveProperty("description");
  });

  it("refuses an SSZ type with no JSON form", () => {
    expect(() => jsonSchemaOf({ typeName: "Bitlist" } as never)).toThrow(/no JSON form for SSZ type Bitlist/);
  });
});
