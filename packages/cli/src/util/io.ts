// File and secret input for commands: every failure names the file and the
// reason; passwords come from a file or a no-echo terminal prompt.
import { readFile } from "node:fs/promises";
import { type EezCall, fromHex, parseJsonText } from "@ocp/protocol";
import { badInput, reason } from "./exit.js";

/** Reads a UTF-8 file; exits 2 naming `what` and the file when it cannot. */
export async function readTextFile(file: string, what = file): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    return badInput(`${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? reason(e)}`);
  }
}

/** Reads and parses a JSON file; exits 2 naming the file on any problem. */
export async function readJsonFile(file: string, what = file): Promise<unknown> {
  const text = await readTextFile(file, what);
  try {
    return parseJsonText(text);
  } catch (e) {
    return badInput(`${what}: ${file}: ${reason(e)}`);
  }
}

/** A secret file's content without its trailing newline (as written by `echo`). */
export function secretFromText(text: string): string {
  return text.replace(/\r?\n$/, "");
}

/**
 * Reads a password without echo from the terminal. Rejects when stdin is not
 * a terminal: scripts must pass a password file instead.
 */
export async function promptPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new Error("no password file given and stdin is not a terminal");
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const onData = (chunk: string): void => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            resolve(value);
            return;
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            process.stderr.write("\n");
            reject(new Error("password prompt interrupted"));
            return;
          }
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}

/**
 * A password from `file` when given, else from a terminal prompt. Exits 2
 * naming `what` when neither is possible. The password is never printed.
 */
export async function readPassword(file: string | undefined, what: string, prompt: string): Promise<string> {
  if (file !== undefined) return secretFromText(await readTextFile(file, what));
  try {
    return await promptPassword(prompt);
  } catch (e) {
    return badInput(`${what}: ${reason(e)}`);
  }
}

/** `0x…` hex, or `@file` holding hex text (or raw bytes when it does not start with 0x). */
export async function readBytesArg(what: string, arg: string): Promise<Uint8Array> {
  if (arg.startsWith("@")) {
    let raw: Buffer;
    try {
      raw = await readFile(arg.slice(1));
    } catch (e) {
      return badInput(
        `${what}: cannot read ${arg.slice(1)}: ${(e as NodeJS.ErrnoException).code ?? reason(e)}`,
      );
    }
    const text = raw.toString("utf8").trim();
    if (!text.startsWith("0x")) return new Uint8Array(raw);
    arg = text;
  }
  try {
    return fromHex(arg);
  } catch (e) {
    return badInput(`${what}: ${reason(e)}`);
  }
}

/** The `--calldata …` batches and the `--blob-hashes h1,h2` of their transaction. */
export async function readEezCalls(calldata: readonly string[], blobHashesArg?: string): Promise<EezCall[]> {
  const blobHashes =
    blobHashesArg === undefined || blobHashesArg === ""
      ? []
      : blobHashesArg.split(",").map((h, i) => {
          try {
            return fromHex(h.trim(), 32);
          } catch (e) {
            return badInput(`--blob-hashes[${i}]: ${reason(e)}`);
          }
        });
  const calls: EezCall[] = [];
  for (const [i, arg] of calldata.entries()) {
    calls.push({ calldata: await readBytesArg(`--calldata[${i}]`, arg), blobHashes });
  }
  return calls;
}
