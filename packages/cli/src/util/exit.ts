// How commands end: an "ocp." CommanderError carries the exit code to run(),
// after one `error: …` line on stderr that says what is wrong and where.
import { isProtocolError } from "@ocp/protocol";
import { CommanderError } from "commander";

export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Ends the command with `exitCode` (run() passes "ocp." codes through). */
export function exit(exitCode: number, code: string, message: string): never {
  throw new CommanderError(exitCode, code, message);
}

/** Prints `error: <message>` and exits 2. */
export function badInput(message: string): never {
  console.error(`error: ${message}`);
  return exit(EXIT_BAD_INPUT, "ocp.badInput", message);
}

/** Prints `error: <message>` and exits 1 (rejected, or an operation that failed). */
export function failed(message: string): never {
  console.error(`error: ${message}`);
  return exit(EXIT_FAILED, "ocp.failed", message);
}

/** A short reason for an error, without a stack. */
export function reason(e: unknown): string {
  if (isProtocolError(e) || e instanceof Error) return e.message;
  return String(e);
}

/** Commander collector for repeatable options. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Commander parser for a non-negative integer option. */
export function parseIntArg(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      return badInput(`${name}: expected a non-negative integer, got ${JSON.stringify(value)}`);
    }
    return Number(value);
  };
}

/** Commander parser for a uint64 option (decimal). */
export function parseBigIntArg(name: string): (value: string) => bigint {
  return (value) => {
    if (!/^\d+$/.test(value) || BigInt(value) >= 1n << 64n) {
      return badInput(`${name}: expected a decimal uint64, got ${JSON.stringify(value)}`);
    }
    return BigInt(value);
  };
}
