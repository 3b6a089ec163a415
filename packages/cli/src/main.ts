// Entry point of the `ocp` binary.
const argv = process.argv.slice(2);

/**
 * `ocp node …` builds only the node command: the other commands import viem,
 * the contract artifacts and the devnet code at load time, which a long-running
 * daemon would otherwise carry for nothing.
 */
async function runNodeCommand(args: string[]): Promise<number> {
  const [{ rootCommand, runCommand }, { registerNode }] = await Promise.all([
    import("./root.js"),
    import("./commands/node.js"),
  ]);
  const program = rootCommand();
  registerNode(program);
  return runCommand(program, args);
}

process.exitCode =
  argv[0] === "node" ? await runNodeCommand(argv) : await (await import("./program.js")).run(argv);
// A library handle left open (a socket in TIME_WAIT, a timer) must not keep a
// finished command alive; the unref'd timer only fires if something lingers.
setTimeout(() => process.exit(), 3000).unref();
