// observationRoot / commitmentRoot against viem's independent EIP-712 encoder.
import fc from "fast-check";
import { bytesToHex, hashDomain, hashTypedData, keccak256, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import {
  COMMITMENT_TYPE,
  commitmentRoot,
  domainSeparator,
  OBSERVATION_TYPE,
  observationRoot,
} from "../../src/eip712.js";
import { toHex } from "../../src/hex.js";
import type { Commitment, Domain, Observation } from "../../src/types.js";
import { commitment, domain, observation } from "./messageArbitraries.js";

const observationFields = [
  { name: "stream", type: "bytes32" },
  { name: "slot", type: "uint64" },
  { name: "l1BlockNumber", type: "uint64" },
  { name: "l1BlockHash", type: "bytes32" },
  { name: "schema", type: "bytes32" },
  { name: "tableDigest", type: "bytes32" },
  { name: "entryCount", type: "uint32" },
] as const;

const types = {
  Observation: observationFields,
  Commitment: [
    { name: "observation", type: "Observation" },
    { name: "builder", type: "address" },
  ],
} as const;

const viemDomain = (d: Domain) => ({
  name: "ocp",
  version: "1",
  chainId: BigInt(d.chainId),
  verifyingContract: bytesToHex(d.verifyingContract),
});

const viemObservation = (o: Observation) => ({
  stream: bytesToHex(o.stream),
  slot: o.slot,
  l1BlockNumber: o.l1BlockNumber,
  l1BlockHash: bytesToHex(o.l1BlockHash),
  schema: bytesToHex(o.schema),
  tableDigest: bytesToHex(o.tableDigest),
  entryCount: o.entryCount,
});

const viemCommitment = (c: Commitment) => ({
  observation: viemObservation(c.observation),
  builder: bytesToHex(c.builder),
});

describe("eip712", () => {
  it("type strings hash as viem encodes them", () => {
    // viem derives the type string from the field lists; hashing ours must give the
    // same typehash, which we check through a zero-valued struct digest below too.
    expect(keccak256(toBytes(OBSERVATION_TYPE))).toBe(
      keccak256(toBytes(`Observation(${observationFields.map((f) => `${f.type} ${f.name}`).join(",")})`)),
    );
    expect(
      COMMITMENT_TYPE.startsWith("Commitment(Observation observation,address builder)Observation("),
    ).toBe(true);
  });

  it("domainSeparator equals viem hashDomain", () => {
    fc.assert(
      fc.property(domain(), (d) => {
        const expected = hashDomain({
          domain: viemDomain(d),
          types: {
            EIP712Domain: [
              { name: "name", type: "string" },
              { name: "version", type: "string" },
              { name: "chainId", type: "uint256" },
              { name: "verifyingContract", type: "address" },
            ],
          },
        });
        expect(toHex(domainSeparator(d))).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("observationRoot equals viem hashTypedData", () => {
    fc.assert(
      fc.property(domain(), observation(), (d, o) => {
        const expected = hashTypedData({
          domain: viemDomain(d),
          types,
          primaryType: "Observation",
          message: viemObservation(o),
        });
        expect(toHex(observationRoot(d, o))).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("commitmentRoot equals viem hashTypedData with Observation nested as a struct", () => {
    fc.assert(
      fc.property(domain(), commitment(), (d, c) => {
        const expected = hashTypedData({
          domain: viemDomain(d),
          types,
          primaryType: "Commitment",
          message: viemCommitment(c),
        });
        expect(toHex(commitmentRoot(d, c))).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("roots separate domains: the same observation under another chainId or contract differs", () => {
    fc.assert(
      fc.property(domain(), domain(), observation(), (d1, d2, o) => {
        fc.pre(d1.chainId !== d2.chainId || toHex(d1.verifyingContract) !== toHex(d2.verifyingContract));
        expect(toHex(observationRoot(d1, o))).not.toBe(toHex(observationRoot(d2, o)));
      }),
      { numRuns: 50 },
    );
  });

  it("commitmentRoot never equals observationRoot (different typehash)", () => {
    fc.assert(
      fc.property(domain(), commitment(), (d, c) => {
        expect(toHex(commitmentRoot(d, c))).not.toBe(toHex(observationRoot(d, c.observation)));
      }),
      { numRuns: 50 },
    );
  });
});
