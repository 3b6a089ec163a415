// The bare `ocp` root command and how a parse ends in an exit code, shared by
// the full command tree (program.ts) and main.ts's lean `ocp node` path.
import { Command, CommanderError } from "commander";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export function rootCommand(): Command {
  return new Command("ocp")
    .description("ocp: peer-to-peer attestation network node for execution tables")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError();
}

export async function runCommand(program: Command, argv: string[]): Promise<number> {
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
