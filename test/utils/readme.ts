// Test helper: the code blocks a README marks with `<!-- snippet: path -->`,
// each with the content of the file it claims to copy.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface Snippet {
  path: string;
  inReadme: string;
  inFile: string;
}

export function readmeSnippets(readmePath: string): Snippet[] {
  const readme = readFileSync(readmePath, "utf8");
  const out: Snippet[] = [];
  for (const m of readme.matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) {
    const path = m[1]!;
    out.push({ path, inReadme: m[2]!, inFile: readFileSync(join(dirname(readmePath), path), "utf8") });
  }
  return out;
}
