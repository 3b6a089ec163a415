// The README's usage snippet is the example file the type-check covers, verbatim.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readmeSnippets } from "../../../../test/utils/readme.js";

describe("README", () => {
  it("shows each example exactly as its file has it", () => {
    const snippets = readmeSnippets(fileURLToPath(new URL("../../README.md", import.meta.url)));
    expect(snippets.length).toBeGreaterThan(0);
    for (const s of snippets) expect(s.inReadme, s.path).toBe(s.inFile);
  });
});
