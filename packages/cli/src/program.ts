// The `ocp` command tree. Exit codes: 0 ok, 1 rejected or failed, 2 bad input.
import type { Command } from "commander";
import { registerAnchor } from "./commands/anchor.js";
import { registerBuilder } from "./commands/builder.js";
import { registerCert } from "./commands/cert.js";
import { registerDevnet } from "./commands/devnet.js";
import { registerKeys } from "./commands/keys.js";
import { registerNode } from "./commands/node.js";
import { registerTable } from "./commands/table.js";
import { rootCommand, runCommand } from "./root.js";

export { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK } from "./root.js";

export function buildProgram(): Command {
  const program = rootCommand();
  registerCert(program);
  registerDevnet(program);
  registerTable(program);
  registerNode(program);
  registerKeys(program);
  registerAnchor(program);
  registerBuilder(program);
  return program;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(buildProgram(), argv);
}
