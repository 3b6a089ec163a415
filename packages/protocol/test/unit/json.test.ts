// JSON forms of docs/spec.md §3: fast-check round trips and hostile inputs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../src/errors.js";
import {
  attestationToJson,
  builderEquivocationToJson,
  certificateToJson,
  commitmentToJson,
  domainToJson,
  JsonErrorCode,
  observationToJson,
  parseAttestationJson,
  parseBuilderEquivocationJson,
  parseCertificateJson,
  parseCommitmentJson,
  parseDomainJson,
  parseJsonText,
  parseObservationJson,
  parseSignedCommitmentJson,
  parseVerifierEquivocationJson,
  parseVerifierSetJson,
  signedCommitmentToJson,
  verifierEquivocationToJson,
  verifierSetToJson,
} from "../../src/json.js";
import type { Certificate, SignedCommitment, VerifierSetData } from "../../src/types.js";
import { attestation, bytes, commitment, domain, observation, uint64 } from "./messageArbitraries.js";

const signedCommitment = (): fc.Arbitrary<SignedCommitment> =>
  fc.record({ domain: domain(), commitment: commitment(), signature: bytes(65) });

const verifierSet = (): fc.Arbitrary<VerifierSetData> =>
  fc.record({
    epoch: uint64(),
    activationSlot: uint64(),
    quorum: fc.record({
      numerator: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      denominator: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    }),
    verifiers: fc.array(fc.record({ pubkey: bytes(48), weight: uint64(), pop: bytes(96) }), { maxLength: 5 }),
  });

const certificate = (): fc.Arbitrary<Certificate> =>
  fc.record({
    domain: domain(),
    observation: observation(),
    setId: bytes(32),
    signers: fc.uint8Array({ maxLength: 512 }),
    aggregateSignature: bytes(96),
  });

/** Through text, as a file or an HTTP body would carry it. */
const viaText = (v: unknown): unknown => parseJsonText(JSON.stringify(v));

interface Codec {
  name: string;
  parse: (v: unknown) => unknown;
  /** parse(toJson(x)) = x through JSON text, and toJson is canonical. */
  roundTrips: () => void;
}

function codec<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  toJson: (x: T) => unknown,
  parse: (v: unknown) => T,
): Codec {
  return {
    name,
    parse,
    roundTrips: () =>
      fc.assert(
        fc.property(arb, (x) => {
          const json = toJson(x);
          const back = parse(viaText(json));
          expect(back).toEqual(x);
          // Serializing again gives the same text: one canonical form.
          expect(JSON.stringify(toJson(back))).toBe(JSON.stringify(json));
        }),
        { numRuns: 60 },
      ),
  };
}

const codecs: Codec[] = [
  codec("Domain", domain(), domainToJson, parseDomainJson),
  codec("Observation", observation(), observationToJson, parseObservationJson),
  codec("Commitment", commitment(), commitmentToJson, parseCommitmentJson),
  codec("SignedCommitment", signedCommitment(), signedCommitmentToJson, parseSignedCommitmentJson),
  codec("VerifierSet", verifierSet(), verifierSetToJson, parseVerifierSetJson),
  codec("Attestation", attestation(), attestationToJson, parseAttestationJson),
  codec("Certificate", certificate(), certificateToJson, parseCertificateJson),
  codec(
    "BuilderEquivocation",
    fc.record({ a: signedCommitment(), b: signedCommitment() }),
    builderEquivocationToJson,
    parseBuilderEquivocationJson,
  ),
  codec(
    "VerifierEquivocation",
    fc.record({ a: attestation(), b: attestation() }),
    verifierEquivocationToJson,
    parseVerifierEquivocationJson,
  ),
];

function expectError(f: () => unknown, code: JsonErrorCode, detail?: string | RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  const pe = thrown as ProtocolError;
  expect(pe.code).toBe(code);
  if (typeof detail === "string") expect(pe.detail).toBe(detail);
  else if (detail !== undefined) expect(pe.detail).toMatch(detail);
}

const D = {
  name: "ocp",
  version: "1",
  chainId: 31337,
  verifyingContract: `0x${"ab".repeat(20)}`,
};
const O = {
  stream: `0x${"11".repeat(32)}`,
  slot: "123",
  l1BlockNumber: "124",
  l1BlockHash: `0x${"22".repeat(32)}`,
  schema: `0x${"33".repeat(32)}`,
  tableDigest: `0x${"44".repeat(32)}`,
  entryCount: 12,
};
const C = { observation: O, builder: `0x${"55".repeat(20)}` };

describe("json forms", () => {
  for (const c of codecs) {
    it(`${c.name}: parse(toJson(x)) = x, through JSON text, and output is canonical`, c.roundTrips);
  }

  it("matches the docs/spec.md §3 example shapes, keys in order", () => {
    const o = parseObservationJson(O);
    expect(o.slot).toBe(123n);
    expect(o.l1BlockNumber).toBe(124n);
    expect(o.entryCount).toBe(12);
    expect(Object.keys(observationToJson(o))).toEqual(Object.keys(O));
    expect(JSON.stringify(domainToJson(parseDomainJson(D)))).toBe(JSON.stringify(D));
    expect(
      JSON.stringify(
        verifierSetToJson({
          epoch: 0n,
          activationSlot: 0n,
          quorum: { numerator: 2, denominator: 3 },
          verifiers: [{ pubkey: new Uint8Array(48), weight: 1n, pop: new Uint8Array(96) }],
        }),
      ),
    ).toBe(
      `{"epoch":"0","activationSlot":"0","quorum":{"numerator":2,"denominator":3},"verifiers":[{"pubkey":"0x${"00".repeat(48)}","weight":"1","pop":"0x${"00".repeat(96)}"}]}`,
    );
  });

  it("accepts mixed-case hex on input and always emits lowercase", () => {
    const upper = { ...C, builder: `0x${"aB".repeat(20)}` };
    const c = parseCommitmentJson(upper);
    expect(Array.from(c.builder)).toEqual(new Array(20).fill(0xab));
    expect(commitmentToJson(c).builder).toBe(`0x${"ab".repeat(20)}`);
    // The 0x prefix itself must be lowercase.
    expectError(
      () => parseCommitmentJson({ ...C, builder: `0X${"ab".repeat(20)}` }),
      JsonErrorCode.INVALID_HEX,
    );
  });

  it("names the field path in errors", () => {
    expectError(
      () => parseCommitmentJson({ ...C, observation: { ...O, slot: 5 } }),
      JsonErrorCode.WRONG_TYPE,
      "observation.slot: expected a decimal string of a uint64",
    );
    expectError(
      () =>
        parseSignedCommitmentJson({
          domain: D,
          commitment: { ...C, observation: { ...O, slot: "01" } },
          signature: `0x${"00".repeat(65)}`,
        }),
      JsonErrorCode.INVALID_DECIMAL,
      "commitment.observation.slot: expected a decimal string of a uint64",
    );
    expectError(() => parseObservationJson(null), JsonErrorCode.WRONG_TYPE, "$: expected an object");
    expectError(
      () =>
        parseVerifierSetJson({
          epoch: "0",
          activationSlot: "0",
          quorum: { numerator: 2, denominator: 3 },
          verifiers: [
            { pubkey: `0x${"00".repeat(48)}`, weight: "1", pop: `0x${"00".repeat(96)}` },
            { pubkey: `0x${"00".repeat(48)}`, weight: "1", pop: `0x${"00".repeat(95)}` },
          ],
        }),
      JsonErrorCode.INVALID_HEX,
      /^verifiers\[1\]\.pop: /,
    );
    expectError(
      () => parseBuilderEquivocationJson({ a: {}, b: {} }),
      JsonErrorCode.MISSING_FIELD,
      "a.domain: missing field",
    );
  });

  it("decimal strings: canonical, uint64 only", () => {
    const bad = [
      "",
      "-1",
      "+1",
      " 1",
      "1 ",
      "01",
      "00",
      "1.0",
      "1e3",
      "0x10",
      "18446744073709551616",
      "١",
      `9${"9".repeat(30)}`,
      "1".repeat(100_000),
    ];
    for (const slot of bad) {
      expectError(() => parseObservationJson({ ...O, slot }), JsonErrorCode.INVALID_DECIMAL, /^slot: /);
    }
    expect(parseObservationJson({ ...O, slot: "18446744073709551615" }).slot).toBe((1n << 64n) - 1n);
    expect(parseObservationJson({ ...O, slot: "0" }).slot).toBe(0n);
    for (const slot of [1, 1n, null, true, ["1"], { v: "1" }]) {
      expectError(() => parseObservationJson({ ...O, slot }), JsonErrorCode.WRONG_TYPE, /^slot: /);
    }
  });

  it("numbers: chainId positive safe integer, uint32 entryCount and verifierIndex", () => {
    for (const chainId of [
      0,
      -1,
      1.5,
      -0,
      Number.MAX_SAFE_INTEGER + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1e300,
    ]) {
      expectError(() => parseDomainJson({ ...D, chainId }), JsonErrorCode.INVALID_NUMBER, /^chainId: /);
    }
    expectError(() => parseDomainJson({ ...D, chainId: "1" }), JsonErrorCode.WRONG_TYPE, /^chainId: /);
    expect(parseDomainJson({ ...D, chainId: Number.MAX_SAFE_INTEGER }).chainId).toBe(Number.MAX_SAFE_INTEGER);
    for (const entryCount of [-1, 2 ** 32, 0.5, -0]) {
      expectError(
        () => parseObservationJson({ ...O, entryCount }),
        JsonErrorCode.INVALID_NUMBER,
        /^entryCount: /,
      );
    }
    expect(parseObservationJson({ ...O, entryCount: 2 ** 32 - 1 }).entryCount).toBe(2 ** 32 - 1);
    const att = {
      domain: D,
      observation: O,
      setId: `0x${"66".repeat(32)}`,
      verifierIndex: 2 ** 32,
      signature: `0x${"77".repeat(96)}`,
    };
    expectError(() => parseAttestationJson(att), JsonErrorCode.INVALID_NUMBER, /^verifierIndex: /);
    const set = { epoch: "0", activationSlot: "0", quorum: { numerator: 2, denominator: 0 }, verifiers: [] };
    expectError(() => parseVerifierSetJson(set), JsonErrorCode.INVALID_NUMBER, /^quorum\.denominator: /);
  });

  it("domain name and version are fixed", () => {
    expectError(() => parseDomainJson({ ...D, name: "OCP" }), JsonErrorCode.INVALID_VALUE, /^name: /);
    expectError(() => parseDomainJson({ ...D, version: "2" }), JsonErrorCode.INVALID_VALUE, /^version: /);
    expectError(() => parseDomainJson({ ...D, version: 1 }), JsonErrorCode.WRONG_TYPE, /^version: /);
  });

  it("hex: exact length, valid digits, 0x prefix", () => {
    const bad = [
      "",
      "0x",
      "11".repeat(32),
      `0x${"11".repeat(31)}`,
      `0x${"11".repeat(33)}`,
      `0x${"1".repeat(63)}`,
      `0x${"gg".repeat(32)}`,
      `0x${"11".repeat(31)} 1`,
      `0x-${"1".repeat(63)}`,
    ];
    for (const stream of bad) {
      expectError(
        () => parseObservationJson({ ...O, stream }),
        JsonErrorCode.INVALID_HEX,
        /^stream: expected 0x-prefixed hex of 32 bytes$/,
      );
    }
    expectError(() => parseObservationJson({ ...O, stream: 7 }), JsonErrorCode.WRONG_TYPE, /^stream: /);
    const cert = {
      domain: D,
      observation: O,
      setId: `0x${"66".repeat(32)}`,
      signers: "0x1",
      aggregateSignature: `0x${"77".repeat(96)}`,
    };
    expectError(() => parseCertificateJson(cert), JsonErrorCode.INVALID_HEX, /^signers: /);
    expectError(
      () => parseCertificateJson({ ...cert, signers: `0x${"ff".repeat(513)}` }),
      JsonErrorCode.INVALID_HEX,
      /^signers: /,
    );
    expect(parseCertificateJson({ ...cert, signers: "0x0F" }).signers).toEqual(Uint8Array.of(15));
  });

  it("missing and unknown fields, including __proto__ and constructor", () => {
    const { entryCount: _, ...noCount } = O;
    expectError(
      () => parseObservationJson(noCount),
      JsonErrorCode.MISSING_FIELD,
      "entryCount: missing field",
    );
    expectError(
      () => parseObservationJson({ ...O, extra: 1 }),
      JsonErrorCode.UNKNOWN_FIELD,
      "extra: unknown field",
    );
    const proto = parseJsonText(`{"__proto__":{"slot":"1"},${JSON.stringify(O).slice(1)}`);
    expectError(() => parseObservationJson(proto), JsonErrorCode.UNKNOWN_FIELD, "__proto__: unknown field");
    // Inherited fields do not count as present.
    const { slot: __, ...noSlot } = O;
    const inherited = Object.create({ slot: "1" }) as Record<string, unknown>;
    Object.assign(inherited, noSlot);
    expectError(() => parseObservationJson(inherited), JsonErrorCode.MISSING_FIELD, "slot: missing field");
    expectError(
      () => parseCommitmentJson({ ...C, constructor: {} }),
      JsonErrorCode.UNKNOWN_FIELD,
      "constructor: unknown field",
    );
    expectError(() => parseCommitmentJson([O, C.builder]), JsonErrorCode.WRONG_TYPE, "$: expected an object");
    expectError(
      () =>
        parseVerifierSetJson({
          epoch: "0",
          activationSlot: "0",
          quorum: { numerator: 2, denominator: 3 },
          verifiers: {},
        }),
      JsonErrorCode.WRONG_TYPE,
      "verifiers: expected an array",
    );
    expectError(
      () =>
        parseVerifierSetJson({
          epoch: "0",
          activationSlot: "0",
          quorum: { numerator: 2, denominator: 3 },
          verifiers: new Array(4097).fill(null),
        }),
      JsonErrorCode.TOO_LONG,
      /^verifiers: /,
    );
  });

  it("parseJsonText turns syntax errors into INVALID_JSON", () => {
    for (const t of ["", "{", "{'a':1}", "[1,]", "NaN", "undefined"]) {
      expectError(() => parseJsonText(t), JsonErrorCode.INVALID_JSON, /^\$: /);
    }
    expectError(() => parseJsonText(undefined as unknown as string), JsonErrorCode.INVALID_JSON);
    expect(parseJsonText('{"a":[1]}')).toEqual({ a: [1] });
  });

  it("a throwing getter or proxy still yields a ProtocolError", () => {
    const getter = { ...O };
    Object.defineProperty(getter, "slot", {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    });
    expectError(() => parseObservationJson(getter), JsonErrorCode.WRONG_TYPE, /^\$: unreadable value/);
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new TypeError("no keys");
        },
      },
    );
    expectError(() => parseObservationJson(proxy), JsonErrorCode.WRONG_TYPE);
  });

  it("arbitrary JSON values never throw anything but ProtocolError", () => {
    const parsers = codecs.map((c) => c.parse);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const p of parsers) {
          try {
            p(v);
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
            expect(Object.values(JsonErrorCode)).toContain((e as ProtocolError).code);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("mutated valid documents never throw anything but ProtocolError", () => {
    // Replace one leaf of a valid SignedCommitment with an arbitrary JSON value.
    fc.assert(
      fc.property(signedCommitment(), fc.nat(), fc.jsonValue(), (sc, pick, junk) => {
        const doc = signedCommitmentToJson(sc) as unknown as Record<string, unknown>;
        const leaves: [Record<string, unknown>, string][] = [];
        const walk = (o: Record<string, unknown>): void => {
          for (const k of Object.keys(o)) {
            const v = o[k];
            if (typeof v === "object" && v !== null) walk(v as Record<string, unknown>);
            else leaves.push([o, k]);
          }
        };
        walk(doc);
        const [holder, key] = leaves[pick % leaves.length]!;
        const before = holder[key];
        holder[key] = junk;
        try {
          const parsed = parseSignedCommitmentJson(doc);
          // Accepted only if the junk happened to be a valid value for that field.
          expect(JSON.stringify(signedCommitmentToJson(parsed))).toBe(JSON.stringify(doc));
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          expect(before).not.toEqual(junk);
        }
      }),
      { numRuns: 300 },
    );
  });
});
