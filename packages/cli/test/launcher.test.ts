import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS, runtimeV8Flags } from "@ocp/node";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../bin/ocp.js", import.meta.url));

/** What `script` prints, run by this node with `flags`. */
const printed = (flags: readonly string[], script: string): string =>
  execFileSync(process.execPath, [...flags, "-e", script], { encoding: "utf8" }).trim();

describe("ocp launcher", () => {
  const shebang = readFileSync(BIN, "utf8").split("\n")[0]!;

  it("starts node with the runtime environment and flags every ocp node process uses", () => {
    expect(shebang.startsWith("#!/usr/bin/env -S ")).toBe(true);
    const words = shebang.slice("#!/usr/bin/env -S ".length).split(" ");
    const node = words.indexOf("node");
    expect(Object.fromEntries(words.slice(0, node).map((w) => w.split("=", 2)))).toEqual({
      ...NODE_RUNTIME_ENV,
    });
    expect(words.slice(node + 1)).toEqual([...NODE_RUNTIME_FLAGS]);
  });

  it("the shebang's environment reaches node and keeps freed 1 MiB blocks out of malloc's main heap", () => {
    // 16 blocks of 1 MiB are allocated and freed, in rounds. With glibc's
    // adaptive threshold, once a freed block has gone back (V8 may free the
    // backing stores on another thread, later), the next round comes from the
    // main heap ([heap] grows by ~16 MiB); with the runtime environment each
    // block is its own mapping in every round. Up to 20 rounds, 50 ms apart.
    // Then a probe: 8 MiB in 64 KiB blocks, which come from the main heap
    // under either setting. In about one process in a hundred something is
    // mapped right above [heap], so it cannot grow and malloc maps new memory
    // elsewhere: that layout can show nothing, and the process is run again.
    const script =
      "const fs=require('fs');" +
      "const heap=()=>{const t=fs.readFileSync('/proc/self/smaps','utf8');const i=t.indexOf('[heap]');" +
      "return i<0?0:Number(/Size:\\s+(\\d+)/.exec(t.slice(i))[1])*1024};" +
      "const round=(n,size)=>{const k=[];for(let i=0;i<n;i++)k.push(Buffer.allocUnsafeSlow(size).fill(1));return heap()};" +
      "const h0=heap();let most=0;(async()=>{for(let r=0;r<20&&most<=12*2**20;r++){most=Math.max(most,round(16,1<<20)-h0);gc();" +
      "await new Promise(d=>setTimeout(d,50))}const h1=heap();console.log(most,round(128,1<<16)-h1)})()";
    // The variable is cleared first, so only what the command line sets counts.
    const growth = (file: string, args: string[]): number => {
      for (let run = 0; ; run++) {
        const [most, probe] = execFileSync(file, [...args, "--expose-gc", "-e", script], {
          encoding: "utf8",
          env: { ...process.env, MALLOC_MMAP_THRESHOLD_: undefined },
        })
          .trim()
          .split(" ")
          .map(Number);
        if (probe! >= 6 * 2 ** 20 || run === 4) {
          expect(probe).toBeGreaterThanOrEqual(6 * 2 ** 20);
          return most!;
        }
      }
    };
    // What the kernel runs for the shebang line: env gets its text as one argument.
    const viaShebang = growth("/usr/bin/env", [shebang.slice("#!/usr/bin/env ".length)]);
    const plain = growth(process.execPath, []);
    expect(viaShebang).toBeLessThan(4 * 2 ** 20);
    expect(plain).toBeGreaterThan(12 * 2 ** 20);
  });

  it("the shebang's environment reaches node and holds malloc to two arenas however many threads allocate", () => {
    // Eight hashes on libuv's pool: each pool thread that allocates gets an
    // arena of its own unless capped. A non-main arena is a 64 MiB-aligned
    // run of anonymous mappings 64 MiB long; the main one is [heap].
    const script =
      "const fs=require('fs'),c=require('crypto'),M=64n<<20n;let n=0;" +
      "for(let i=0;i<8;i++)c.pbkdf2('x','y',20000,64,'sha512',()=>{if(++n<8)return;" +
      "const m=fs.readFileSync('/proc/self/maps','utf8').trim().split('\\n').map(l=>{const w=l.split(/\\s+/);" +
      "const [a,b]=w[0].split('-').map(x=>BigInt('0x'+x));return{a,b,anon:!w[5]}});let k=0;" +
      "for(let i=0;i<m.length;i++){if(!m[i].anon||m[i].a%M!==0n)continue;let e=m[i].b;" +
      "for(let j=i+1;j<m.length&&m[j].anon&&m[j].a===e&&e-m[i].a<M;j++)e=m[j].b;if(e-m[i].a===M)k++}" +
      "console.log(k)})";
    const arenas = (file: string, args: string[]) =>
      Number(
        execFileSync(file, [...args, "-e", script], {
          encoding: "utf8",
          env: { ...process.env, MALLOC_ARENA_MAX: undefined },
        }),
      );
    expect(arenas("/usr/bin/env", [shebang.slice("#!/usr/bin/env ".length)])).toBeLessThanOrEqual(1);
    expect(arenas(process.execPath, [])).toBeGreaterThan(1);
  });

  it("the flags are accepted by this node and take effect", () => {
    // new_space is two semi-spaces; it never grows past twice the cap.
    const script =
      "let k=[];for(let i=0;i<3e6;i++){k.push({a:i,b:[i]});if(k.length>2e4)k=[]}" +
      "const s=require('v8').getHeapSpaceStatistics().find(x=>x.space_name==='new_space');" +
      "console.log(s.space_size)";
    const size = (flags: readonly string[]) => Number(printed(flags, script));
    const capMiB = Number(/--max-semi-space-size=(\d+)/.exec(NODE_RUNTIME_FLAGS.join(" "))![1]);
    expect(size(NODE_RUNTIME_FLAGS)).toBeLessThanOrEqual(2 * capMiB * 2 ** 20);
    expect(size([])).toBeGreaterThan(2 * capMiB * 2 ** 20);
  });

  it("keeps warm functions in the interpreter: no Sparkplug code", () => {
    // Called often enough to be baseline-compiled, kept from the optimizing tiers;
    // Node 24 compiles Sparkplug code on a background thread, so the calls go on,
    // with turns of the event loop between batches, until it is there (bounded).
    const script =
      "function f(x){let s=0;for(let i=0;i<x;i++)s+=i;return s}%NeverOptimizeFunction(f);" +
      "(async()=>{for(let b=0;b<200&&!%ActiveTierIsSparkplug(f);b++){for(let i=0;i<1000;i++)f(100);" +
      "await new Promise(r=>setImmediate(r))}console.log(%ActiveTierIsSparkplug(f))})()";
    const sparkplug = (flags: readonly string[]) => printed([...flags, "--allow-natives-syntax"], script);
    expect(sparkplug([])).toBe("true");
    expect(sparkplug(NODE_RUNTIME_FLAGS)).toBe("false");
  });

  it("optimizes hot functions without Maglev code", () => {
    // Hot enough for V8's optimizing tiers; the loop stops once any optimized
    // code is there (bounded). With TurboFan off, Maglev is the only tier left,
    // so a run without our flags shows Maglev code exactly where V8 has it on
    // by default (Node 24; off in Node 20 and 22), and a run with them never
    // does, whatever the machine's load (which otherwise decides whether
    // TurboFan gets there first). With TurboFan on, our flags still reach it.
    const script =
      "function f(x){let s=0;for(let i=0;i<x;i++)s+=i;return s}" +
      "(async()=>{for(let b=0;b<200&&!%ActiveTierIsMaglev(f)&&!%ActiveTierIsTurbofan(f);b++){" +
      "for(let i=0;i<1000;i++)f(100);await new Promise(r=>setImmediate(r))}" +
      "console.log(%ActiveTierIsMaglev(f),%ActiveTierIsTurbofan(f))})()";
    const tiers = (flags: readonly string[]) => printed([...flags, "--allow-natives-syntax"], script);
    const v8Options = execFileSync(process.execPath, ["--v8-options"], { encoding: "utf8" });
    const maglevByDefault = /--maglev \(.*\)\s+type: bool\s+default: --maglev\b/.test(v8Options);
    expect(tiers(["--no-turbofan"])).toBe(maglevByDefault ? "true false" : "false false");
    expect(tiers([...NODE_RUNTIME_FLAGS, "--no-turbofan"])).toBe("false false");
    expect(tiers(NODE_RUNTIME_FLAGS)).toBe("false true");
  });
  it("the flags a node sets at start are known to this runtime's V8", () => {
    // Their names differ between V8 versions (runtime.ts); a name V8 does not
    // know, set at run time, only prints an error on stderr and changes
    // nothing, so only this can catch a rename.
    // (Their effect on the memory reducer is measured by the idle benchmarks:
    // when it runs in a small script depends on timing, too loosely to test.)
    const known = execFileSync(process.execPath, ["--v8-options"], { encoding: "utf8" });
    const flags = runtimeV8Flags();
    expect(flags.length).toBeGreaterThan(0);
    for (const f of flags) expect(known).toContain(`  ${f.split("=")[0]} (`);
    // The other V8 generation's name is not this one's.
    const other = runtimeV8Flags(Number(process.versions.v8.split(".")[0]) <= 11 ? "12.4" : "11.3");
    for (const f of other) expect(known).not.toContain(`  ${f.split("=")[0]} (`);
  });
});
