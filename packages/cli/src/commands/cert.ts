// `ocp cert verify`: checks a certificate file against verifier set files
// (JSON forms of DESIGN §3). Exit 0 valid, 1 invalid certificate, 2 bad input.
import { readFile } from "node:fs/promises";
import {
  buildVerifierSet,
  isProtocolError,
  parseCertificateJson,
  parseJsonText,
  parseVerifierSetJson,
  type VerifierSet,
  VerifierSetRegistry,
  verifyCertificate,
} from "@ocp/protocol";
import { type Command, CommanderError } from "commander";
import { EXIT_BAD_INPUT, EXIT_FAILED } from "../program.js";

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
    .command("verify")
    .description("verify a certificate against verifier sets; prints `valid` or the error code")
    .requiredOption("--cert <file>", "certificate JSON file")
    .option("--set <file>", "verifier set JSON file (repeat for several epochs)", collect, [])
    .action(async (opts: { cert: string; set: string[] }) => {
      if (opts.set.length === 0) {
        console.error("error: at least one --set <file> is required");
        exit(EXIT_BAD_INPUT, "ocp.badInput", "no --set");
      }
      const certJson = await readJson(opts.cert);
      let certificate: ReturnType<typeof parseCertificateJson>;
      try {
        certificate = parseCertificateJson(certJson);
      } catch (e) {
        badInput(opts.cert, e);
      }

      const sets: VerifierSet[] = [];
      for (const file of opts.set) {
        const json = await readJson(file);
        try {
          sets.push(buildVerifierSet(parseVerifierSetJson(json)));
        } catch (e) {
          badInput(file, e);
        }
      }
      let registry: VerifierSetRegistry;
      try {
        registry = new VerifierSetRegistry(sets);
      } catch (e) {
        badInput(opts.set.join(", "), e);
      }

      const result = verifyCertificate(certificate, registry);
      if (!result.ok) {
        console.log(result.code);
        if (result.detail !== undefined) console.error(result.detail);
        exit(EXIT_FAILED, "ocp.rejected", result.code);
      }
      console.log("valid");
    });
}
