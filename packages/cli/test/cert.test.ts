import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Attestation,
  blstBls,
  buildCertificate,
  buildVerifierSet,
  type Certificate,
  certificateToJson,
  type Domain,
  type Observation,
  observationRoot,
  type VerifierSetData,
  verifierSetToJson,
} from "@ocp/protocol";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, run } from "../src/program.js";

const dir = mkdtempSync(join(tmpdir(), "ocp-cert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keys = [1, 2, 3, 4].map((i) => blstBls.keygen(new Uint8Array(32).fill(0x30 + i)));
const data = (epoch: bigint, activationSlot: bigint): VerifierSetData => ({
  epoch,
  activationSlot,
  quorum: { numerator: 2, denominator: 3 },
  verifiers: keys.map((sk) => ({
    pubkey: blstBls.publicKeyToBytes(blstBls.publicKey(sk)),
    weight: 1n,
    pop: blstBls.popProve(sk),
  })),
});
const set0Data = data(0n, 0n);
const set1Data = data(1n, 100n);
const set0 = buildVerifierSet(set0Data);
const set1 = buildVerifierSet(set1Data);

const domain: Domain = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xcc) };
const observation: Observation = {
  stream: new Uint8Array(32).fill(1),
  slot: 42n,
  l1BlockNumber: 42n,
  l1BlockHash: new Uint8Array(32).fill(2),
  schema: new Uint8Array(32).fill(3),
  tableDigest: new Uint8Array(32).fill(4),
  entryCount: 3,
};

function certificate(signers: number): Certificate {
  const root = observationRoot(domain, observation);
  const atts: Attestation[] = keys.slice(0, signers).map((sk, i) => ({
    domain,
    observation,
    setId: set0.setId,
    verifierIndex: i,
    signature: blstBls.sign(sk, root),
  }));
  return buildCertificate(atts, set0);
}

let n = 0;
function file(content: unknown): string {
  const p = join(dir, `f${n++}.json`);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
});
afterEach(() => vi.restoreAllMocks());

describe("ocp cert verify", () => {
  const setFile = () => file(verifierSetToJson(set0Data));

  it("prints valid and exits 0", async () => {
    const code = await run([
      "cert",
      "verify",
      "--cert",
      file(certificateToJson(certificate(3))),
      "--set",
      setFile(),
    ]);
    expect(out).toEqual(["valid"]);
    expect(code).toBe(EXIT_OK);
  });

  it("accepts several sets and picks by slot", async () => {
    const code = await run([
      "cert",
      "verify",
      "--cert",
      file(certificateToJson(certificate(3))),
      "--set",
      setFile(),
      "--set",
      file(verifierSetToJson(set1Data)),
    ]);
    expect(code).toBe(EXIT_OK);
    expect(out).toEqual(["valid"]);
  });

  it("exits 1 with the error code for an invalid certificate", async () => {
    const below = await run([
      "cert",
      "verify",
      "--cert",
      file(certificateToJson(certificate(2))),
      "--set",
      setFile(),
    ]);
    expect(below).toBe(EXIT_FAILED);
    expect(out).toEqual(["CERT_ERROR_BELOW_QUORUM"]);

    out.length = 0;
    const c = certificate(3);
    const tampered = certificateToJson({ ...c, observation: { ...observation, slot: 43n } });
    expect(await run(["cert", "verify", "--cert", file(tampered), "--set", setFile()])).toBe(EXIT_FAILED);
    expect(out).toEqual(["CERT_ERROR_BAD_SIGNATURE"]);

    out.length = 0;
    const late = certificateToJson({ ...c, observation: { ...observation, slot: 150n } });
    const code = await run([
      "cert",
      "verify",
      "--cert",
      file(late),
      "--set",
      setFile(),
      "--set",
      file(verifierSetToJson(set1Data)),
    ]);
    expect(code).toBe(EXIT_FAILED);
    expect(out).toEqual(["CERT_ERROR_WRONG_SET_FOR_SLOT"]);
    expect(set1.setIdHex).not.toBe(set0.setIdHex);
  });

  it("exits 2 on unreadable or malformed input, naming the problem", async () => {
    const certFile = file(certificateToJson(certificate(3)));
    expect(await run(["cert", "verify", "--cert", join(dir, "missing.json"), "--set", setFile()])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.join("\n")).toMatch(/cannot read .*missing\.json: ENOENT/);

    err.length = 0;
    expect(await run(["cert", "verify", "--cert", file("{not json"), "--set", setFile()])).toBe(
      EXIT_BAD_INPUT,
    );
    expect(err.join("\n")).toContain("JSON_ERROR_INVALID_JSON");

    err.length = 0;
    const badField = { ...certificateToJson(certificate(3)), aggregateSignature: "0x1234" };
    expect(await run(["cert", "verify", "--cert", file(badField), "--set", setFile()])).toBe(EXIT_BAD_INPUT);
    expect(err.join("\n")).toContain("aggregateSignature");

    err.length = 0;
    const setJson = verifierSetToJson(set0Data);
    const badSet = {
      ...setJson,
      verifiers: [{ ...setJson.verifiers[0]!, weight: "one" }, ...setJson.verifiers.slice(1)],
    };
    expect(await run(["cert", "verify", "--cert", certFile, "--set", file(badSet)])).toBe(EXIT_BAD_INPUT);
    expect(err.join("\n")).toContain("weight");

    err.length = 0;
    const badPop = {
      ...setJson,
      verifiers: [
        { ...setJson.verifiers[0]!, pop: setJson.verifiers[1]!.pop },
        ...setJson.verifiers.slice(1),
      ],
    };
    expect(await run(["cert", "verify", "--cert", certFile, "--set", file(badPop)])).toBe(EXIT_BAD_INPUT);
    expect(err.join("\n")).toContain("SET_ERROR_BAD_POP");

    expect(await run(["cert", "verify", "--cert", certFile])).toBe(EXIT_BAD_INPUT);
    expect(await run(["cert", "verify", "--set", setFile()])).toBe(EXIT_BAD_INPUT);
    expect(out).toEqual([]);
  });
});
