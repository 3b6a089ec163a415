// The link emulator as the harness drives it: the forwarder process (../forwarder.js)
// in the router namespace, fed each host's link parameters, plus the token
// buckets (tc tbf) that cap bandwidth and the router rules that cut partitions.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { TUN_NAME } from "./netns.js";

const FORWARDER = fileURLToPath(new URL("../forwarder.js", import.meta.url));

/**
 * @typedef {object} LinkSpec One host's access link, applied in each direction.
 * @property {number} delayMs one-way delay of the access link
 * @property {number} jitterMs each packet's delay is uniform in delayMs ± jitterMs
 * @property {number} loss probability that a packet is dropped on the access link
 * @property {number} [mbit] bandwidth cap each way (tbf); none when absent
 */

export class LinkEmulator {
  /** @param {import("./netns.js").SimNetwork} net */
  constructor(net, dir, seed = 1) {
    this.net = net;
    this.dir = dir;
    this.seed = seed;
    this.waiters = [];
  }

  /** Starts the forwarder with the links (`ip` → LinkSpec) and applies the bandwidth caps. */
  async start(links, onPid) {
    const file = join(this.dir, "forwarder.json");
    const fwLinks = {};
    for (const [ip, l] of Object.entries(links))
      fwLinks[ip] = { delayMs: l.delayMs, jitterMs: l.jitterMs, loss: l.loss };
    writeFileSync(file, JSON.stringify({ tun: TUN_NAME, seed: this.seed, links: fwLinks }));
    const child = spawn("ip", ["netns", "exec", this.net.router, process.execPath, FORWARDER, file], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.child = child;
    onPid?.(child.pid);
    this.exited = new Promise((r) => child.once("exit", r));
    createInterface({ input: child.stdout }).on("line", (line) => {
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      this.waiters = this.waiters.filter((w) => !w(m));
    });
    await this.next("ready", 20_000);
  }

  next(event, ms = 10_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`forwarder: no ${event} within ${ms} ms`)), ms);
      this.waiters.push((m) => {
        if (m.event !== event) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      });
    });
  }

  /** Caps each host's bandwidth, `mbitByHost[i]` (none when absent). */
  applyBandwidth(mbitByHost) {
    mbitByHost.forEach((mbit, i) => {
      if (mbit) this.net.setBandwidth(i, mbit);
    });
  }

  /** Changes links at run time (`ip` → LinkSpec). */
  async set(links) {
    const p = this.next("set");
    this.child.stdin.write(`${JSON.stringify({ cmd: "set", links })}\n`);
    await p;
  }

  /** The forwarder's counters: per source address forwarded and dropped packets. */
  async stats() {
    const p = this.next("stats");
    this.child.stdin.write(`${JSON.stringify({ cmd: "stats" })}\n`);
    return p;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(t);
  }
}
