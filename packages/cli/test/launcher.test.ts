import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NODE_RUNTIME_FLAGS } from "@ocp/node";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../bin/ocp.js", import.meta.url));

describe("ocp launcher", () => {
  it("starts node with the runtime flags every ocp node process uses", () => {
    const shebang = readFileSync(BIN, "utf8").split("\n")[0]!;
    expect(shebang.startsWith("#!/usr/bin/env -S node ")).toBe(true);
    expect(shebang.slice("#!/usr/bin/env -S node ".length).split(" ")).toEqual([...NODE_RUNTIME_FLAGS]);
  });

  it("the flags are accepted by this node and take effect", () => {
    // new_space is two semi-spaces; it never grows past twice the cap.
    const script =
      "let k=[];for(let i=0;i<3e6;i++){k.push({a:i,b:[i]});if(k.length>2e4)k=[]}" +
      "const s=require('v8').getHeapSpaceStatistics().find(x=>x.space_name==='new_space');" +
      "console.log(s.space_size)";
    const size = (flags: readonly string[]) =>
      Number(execFileSync(process.execPath, [...flags, "-e", script], { encoding: "utf8" }).trim());
    const capMiB = Number(/--max-semi-space-size=(\d+)/.exec(NODE_RUNTIME_FLAGS.join(" "))![1]);
    expect(size(NODE_RUNTIME_FLAGS)).toBeLessThanOrEqual(2 * capMiB * 2 ** 20);
    expect(size([])).toBeGreaterThan(2 * capMiB * 2 ** 20);
  });
});
