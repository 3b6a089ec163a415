// `ocp cert show|verify`: summarizes a certificate, and checks it against
// verifier set files or the sets registered on an OcpAnchor (JSON forms of
// DESIGN §3). Exit 0 valid, 1 invalid certificate, 2 bad input.
import { readFile } from "node:fs/promises";
import { readVerifierSets } from "@ocp/node/anchor";
import {
  bitfieldIndices,
  buildVerifierSet,
  type Certificate,
  isProtocolError,
  observationRoot,
  observationToJson,
  parseCertificateJson,
  parseJsonText,
  parseVerifierSetJson,
  signedWeightOf,
  toHex,
  type VerifierSet,
  VerifierSetRegistry,
  verifyCertificate,
} from "@ocp/protocol";
import { type Command, CommanderError } from "commander";
import { EXIT_BAD_INPUT, EXIT_FAILED } from "../root.js";
import { checkAddress, publicClientFor, shortRpcError } from "../util/chain.js";

/** Ends the command with an exit code (run() passes "ocp." codes through). */
function exit(exitCode: number, code: string, message: string): never {
  throw new CommanderError(exitCode, code, message);
}

function badInput(file: string, e: unknown): never {
  const msg = isProtocolError(e) ? e.message : e instanceof Error ? e.message : String(e);
  console.error(`error: ${file}: ${msg}`);
  return exit(EXIT_BAD_INPUT, "ocp.badInput", msg);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? String(e);
    console.error(`error: cannot read ${file}: ${reason}`);
    return exit(EXIT_BAD_INPUT, "ocp.badInput", `cannot read ${file}`);
  }
  try {
    return parseJsonText(text);
  } catch (e) {
    return badInput(file, e);
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerCert(program: Command): void {
  const cert = program.command("cert").description("inspect and verify certificates");

  cert
    .command("show")
    .description("summarize a certificate: observation, root, set, signers, weight (with sets)")
    .requiredOption("--cert <file>", "certificate JSON file")
    .option("--set <file>", "verifier set JSON file, to report the signed weight (repeat)", collect, [])
    .option("--anchor <address>", "read the sets from this OcpAnchor instead (with --rpc)")
    .option("--rpc <url>", "anchor chain JSON-RPC URL")
    .option("--json", "print one JSON object")
    .action(async (opts: SetSourceOpts & { cert: string; json?: boolean }) => {
      const certificate = await readCertificate(opts.cert);
      const registry = opts.set.length > 0 || opts.anchor !== undefined ? await loadSets(opts) : undefined;
      const set = registry?.get(certificate.setId);
      const signers = [...bitfieldIndices(certificate.signers)];
      let weight: { signed: string; total: string } | undefined;
      if (set) {
        try {
          weight = {
            signed: signedWeightOf(set, certificate.signers).toString(),
            total: set.totalWeight.toString(),
          };
        } catch (e) {
          badInput(opts.cert, e);
        }
      }
      const summary = {
        domain: {
          chainId: certificate.domain.chainId,
          verifyingContract: toHex(certificate.domain.verifyingContract),
        },
        observation: observationToJson(certificate.observation),
        observationRoot: toHex(observationRoot(certificate.domain, certificate.observation)),
        setId: toHex(certificate.setId),
        ...(set ? { epoch: set.epoch.toString(), setSize: set.size } : {}),
        signers: signers.length,
        signerIndices: signers,
        ...(weight ? { signedWeight: weight.signed, totalWeight: weight.total } : {}),
      };
      if (opts.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      const o = summary.observation;
      console.log(`observation root: ${summary.observationRoot}`);
      console.log(`domain: chain ${summary.domain.chainId}, anchor ${summary.domain.verifyingContract}`);
      console.log(`stream: ${o.stream}`);
      console.log(`slot: ${o.slot} (L1 block ${o.l1BlockNumber} ${o.l1BlockHash})`);
      console.log(`schema: ${o.schema}`);
      console.log(`table: ${o.tableDigest}, ${o.entryCount} entries`);
      console.log(
        `set: ${summary.setId}${set ? ` (epoch ${set.epoch}, ${set.size} verifiers)` : " (not among the given sets)"}`,
      );
      console.log(`signers: ${signers.length} [${signers.join(", ")}]`);
      if (weight) console.log(`weight: ${weight.signed} of ${weight.total}`);
    });

  cert
    .command("verify")
    .description("verify a certificate against verifier sets; prints `valid` or the error code")
    .requiredOption("--cert <file>", "certificate JSON file")
    .option("--set <file>", "verifier set JSON file (repeat for several epochs)", collect, [])
    .option("--anchor <address>", "read the sets from this OcpAnchor instead (with --rpc)")
    .option("--rpc <url>", "anchor chain JSON-RPC URL")
    .action(async (opts: SetSourceOpts & { cert: string }) => {
      if (opts.set.length === 0 && opts.anchor === undefined) {
        console.error("error: at least one --set <file> (or --anchor with --rpc) is required");
        exit(EXIT_BAD_INPUT, "ocp.badInput", "no --set");
      }
      const certificate = await readCertificate(opts.cert);
      const registry = await loadSets(opts);
      const result = verifyCertificate(certificate, registry);
      if (!result.ok) {
        console.log(result.code);
        if (result.detail !== undefined) console.error(result.detail);
        exit(EXIT_FAILED, "ocp.rejected", result.code);
      }
      console.log("valid");
    });
}

interface SetSourceOpts {
  set: string[];
  anchor?: string;
  rpc?: string;
}

async function readCertificate(file: string): Promise<Certificate> {
  const certJson = await readJson(file);
  try {
    return parseCertificateJson(certJson);
  } catch (e) {
    return badInput(file, e);
  }
}

/** Sets from `--set` files, or from an OcpAnchor's registry (`--anchor` + `--rpc`). */
async function loadSets(opts: SetSourceOpts): Promise<VerifierSetRegistry> {
  const sets: VerifierSet[] = [];
  if (opts.anchor !== undefined) {
    if (opts.set.length > 0) {
      console.error("error: give either --set files or --anchor, not both");
      exit(EXIT_BAD_INPUT, "ocp.badInput", "--set and --anchor");
    }
    if (opts.rpc === undefined) {
      console.error("error: --anchor needs --rpc <url>");
      exit(EXIT_BAD_INPUT, "ocp.badInput", "no --rpc");
    }
    const anchor = checkAddress(opts.anchor, "--anchor");
    const client = publicClientFor(opts.rpc);
    let data: Awaited<ReturnType<typeof readVerifierSets>>;
    try {
      data = await readVerifierSets(client, anchor);
    } catch (e) {
      console.error(`error: reading sets from ${anchor} on ${opts.rpc}: ${shortRpcError(e)}`);
      return exit(EXIT_FAILED, "ocp.failed", "cannot read sets");
    }
    if (data.length === 0) {
      console.error(`error: ${anchor} has no registered verifier sets`);
      exit(EXIT_FAILED, "ocp.failed", "no sets");
    }
    for (const d of data) {
      try {
        sets.push(buildVerifierSet(d));
      } catch (e) {
        badInput(`${anchor} epoch ${d.epoch}`, e);
      }
    }
  }
  for (const file of opts.set) {
    const json = await readJson(file);
    try {
      sets.push(buildVerifierSet(parseVerifierSetJson(json)));
    } catch (e) {
      badInput(file, e);
    }
  }
  try {
    return new VerifierSetRegistry(sets);
  } catch (e) {
    return badInput(opts.anchor ?? opts.set.join(", "), e);
  }
}
