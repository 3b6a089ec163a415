// The `ocp` command tree. Exit codes: 0 ok, 1 rejected or failed, 2 bad input.
import { Command, CommanderError } from "commander";
import { registerAnchor } from "./commands/anchor.js";
import { registerBuilder } from "./commands/builder.js";
import { registerCert } from "./commands/cert.js";
import { registerDevnet } from "./commands/devnet.js";
import { registerKeys } from "./commands/keys.js";
import { registerNode } from "./commands/node.js";
import { registerTable } from "./commands/table.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export function buildProgram(): Command {
  const program = new Command("ocp")
    .description("ocp: peer-to-peer attestation network node for execution tables")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError();
  registerCert(program);
  registerDevnet(program);
  registerTable(program);
  registerNode(program);
  registerKeys(program);
  registerAnchor(program);
  registerBuilder(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT_OK;
      if (err.code === "commander.help") return EXIT_OK;
      // Commands end with their own exit code through an "ocp." CommanderError.
      if (err.code.startsWith("ocp.")) return err.exitCode;
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
}
