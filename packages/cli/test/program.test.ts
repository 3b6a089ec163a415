import { describe, expect, it } from "vitest";
import { EXIT_BAD_INPUT, EXIT_OK, run } from "../src/program.js";

describe("ocp program", () => {
  it("prints help and exits 0", async () => {
    expect(await run(["--help"])).toBe(EXIT_OK);
  });
  it("exits 2 on an unknown option", async () => {
    expect(await run(["--no-such-flag"])).toBe(EXIT_BAD_INPUT);
  });
});
