// docs/spec.md keeps the numbered sections code comments cite: every
// `docs/spec.md §N` in the sources names a section that exists.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const spec = readFileSync(join(root, "docs/spec.md"), "utf8");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "lib" || name === "out") continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|js|mjs|sol|md)$/.test(name)) out.push(full);
  }
  return out;
}

describe("docs/spec.md", () => {
  it("has sections 1 to 9 and Appendix A, in order", () => {
    const headings = [...spec.matchAll(/^## (\d+|Appendix A)\./gm)].map((m) => m[1]);
    expect(headings).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "Appendix A"]);
  });

  it("every docs/spec.md §N cited in the code exists", () => {
    const sections = new Set([...spec.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]));
    const files = ["packages", "contracts", "bench", "test"].flatMap((d) => sourceFiles(join(root, d)));
    const missing: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, "utf8").matchAll(/docs\/spec\.md §(\d+(?:\.\d+)?)/g)) {
        if (!sections.has(m[1]!)) missing.push(`${f.slice(root.length)}: §${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
