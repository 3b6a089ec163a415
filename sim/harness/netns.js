// Builds and removes the simulated hosts' network: one Linux network namespace
// per host, a router namespace through which all host-to-host packets pass (and
// the link emulator's TUN device), an L1 namespace for anvil, and a management
// bridge in the root namespace that carries only L1 RPC and node API traffic.
// Every name carries the harness pid, so a later run sweeps what a killed run left.
import { execFileSync, spawnSync } from "node:child_process";

/** Data plane (emulated): host i is 10.77.1.(i+1); the router answers as 10.77.0.1. */
export const DATA_NET = "10.77";
/** Management plane (not emulated): the harness is 10.79.0.1, anvil 10.79.0.2, host i 10.79.1.(i+1). */
export const MGMT_NET = "10.79";
export const MAX_HOSTS = 250;
const PREFIX = "ocp-sim-";
export const TUN_NAME = "ocptun";
/** Routing table of the router that delivers packets coming back from the emulator. */
const DELIVER_TABLE = 101;
/** Priority of partition rules: before the delivery rule. */
const PARTITION_PRIO = 50;
/** Metric of the root namespace's safety route: management traffic never leaves the machine. */
const SAFETY_METRIC = 4242;

export const dataIp = (i) => `${DATA_NET}.1.${i + 1}`;
export const mgmtIp = (i) => `${MGMT_NET}.1.${i + 1}`;
export const HARNESS_IP = `${MGMT_NET}.0.1`;
export const L1_IP = `${MGMT_NET}.0.2`;
/** A second address of the L1 host, used only by anchorers: cutting it takes an anchorer down, not its verifier. */
export const ANCHOR_RPC_IP = `${MGMT_NET}.0.3`;

function ip(args, input) {
  const r = spawnSync("ip", args, { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${(r.stderr || r.stdout || "").trim()}`);
  return r.stdout;
}

/** Several `ip` commands in one process (`ip -batch`), optionally inside a namespace. */
function ipBatch(lines, ns) {
  if (lines.length === 0) return;
  ip([...(ns ? ["-n", ns] : []), "-batch", "-"], `${lines.join("\n")}\n`);
}

function tc(args) {
  const r = spawnSync("tc", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tc ${args.join(" ")}: ${(r.stderr || "").trim()}`);
}

/** The simulated network is IPv4 only: no router solicitations or DAD noise on the links. */
const NO_IPV6 = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"];

function sysctl(ns, settings) {
  execFileSync("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", ...settings]);
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

function listNamespaces() {
  return ip(["netns", "list"])
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter(Boolean);
}

/** Processes still running inside a namespace (by pid, from the kernel). */
function namespacePids(ns) {
  const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" });
  return (r.stdout || "").split("\n").filter(Boolean).map(Number);
}

function killPids(pids) {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

/** Root-namespace links of a run: the bridge `os<pid>b`, its ports `os<pid>m<i>` / `os<pid>l`. */
function rootLinksOf(owner) {
  const out = ip(["-o", "link", "show"]);
  const names = [];
  for (const m of out.matchAll(/^\d+:\s+(os(\d+)[bml]\d*)[@:]/gm)) if (owner(Number(m[2]))) names.push(m[1]);
  return names;
}

function deleteRun(pid) {
  for (const ns of listNamespaces().filter((n) => n.startsWith(`${PREFIX}${pid}-`))) {
    killPids(namespacePids(ns));
    spawnSync("ip", ["netns", "del", ns]);
  }
  for (const link of rootLinksOf((p) => p === pid)) spawnSync("ip", ["link", "del", link]);
  spawnSync("ip", ["route", "del", "blackhole", `${MGMT_NET}.0.0/16`, "metric", String(SAFETY_METRIC)]);
}

/**
 * Removes what earlier runs left whose harness is gone: their namespaces
 * (after killing the processes inside, by pid), root links and safety route.
 * Returns the namespaces removed.
 */
export function sweepStale() {
  const removed = [];
  const owners = new Set();
  for (const ns of listNamespaces()) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(ns);
    if (m && !pidAlive(Number(m[1]))) {
      owners.add(Number(m[1]));
      removed.push(ns);
    }
  }
  for (const link of rootLinksOf((p) => !pidAlive(p))) owners.add(Number(/^os(\d+)/.exec(link)[1]));
  for (const pid of owners) deleteRun(pid);
  return removed;
}

/** Checks what the harness needs, with a message that says what is missing. */
export function checkPrerequisites() {
  if (process.getuid?.() !== 0) throw new Error("the simulator needs root (network namespaces, TUN, tc)");
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`iproute2 'ip netns' unavailable: ${r.error ?? r.stderr}`);
  const t = spawnSync("tc", ["-V"], { encoding: "utf8" });
  if (t.error) throw new Error(`tc unavailable: ${t.error}`);
}

/**
 * A simulated network of `hosts` hosts. `create()` builds it; `destroy()`
 * removes everything it made (idempotent, also called from signal handlers).
 */
export class SimNetwork {
  constructor(hosts, owner = process.pid) {
    if (hosts < 1 || hosts > MAX_HOSTS) throw new Error(`hosts must be 1..${MAX_HOSTS}`);
    this.hosts = hosts;
    this.owner = owner;
    this.router = `${PREFIX}${owner}-r`;
    this.l1 = `${PREFIX}${owner}-l1`;
    this.bridge = `os${owner}b`;
    this.partitionRules = [];
    this.destroyed = false;
  }

  hostNs(i) {
    return `${PREFIX}${this.owner}-h${i}`;
  }

  create() {
    const { router, l1, bridge } = this;
    // Safety net first: if the bridge disappears while a client still sends,
    // management addresses stay unroutable instead of following the default route out.
    ip(["route", "add", "blackhole", `${MGMT_NET}.0.0/16`, "metric", String(SAFETY_METRIC)]);
    ipBatch([
      `link add ${bridge} type bridge`,
      `addr add ${HARNESS_IP}/16 dev ${bridge}`,
      `link set ${bridge} up`,
    ]);

    ip(["netns", "add", router]);
    sysctl(router, [
      ...NO_IPV6,
      "net.ipv4.ip_forward=1",
      "net.ipv4.conf.all.rp_filter=0",
      "net.ipv4.conf.default.rp_filter=0",
      // The router answers for 10.77.0.1 on every host link; no redirects between hosts.
      "net.ipv4.conf.all.send_redirects=0",
      "net.ipv4.conf.default.send_redirects=0",
    ]);
    ipBatch(
      [
        "link set lo up",
        `tuntap add dev ${TUN_NAME} mode tun`,
        `link set ${TUN_NAME} up`,
        // Host-to-host packets go to the emulator; what it writes back is delivered.
        `route add ${DATA_NET}.1.0/24 dev ${TUN_NAME}`,
        `rule add iif ${TUN_NAME} lookup ${DELIVER_TABLE} prio 100`,
      ],
      router,
    );
    sysctl(router, [`net.ipv4.conf.${TUN_NAME}.rp_filter=0`]);

    ip(["netns", "add", l1]);
    sysctl(l1, NO_IPV6);
    ipBatch([
      `link add os${this.owner}l type veth peer name mg0 netns ${l1}`,
      `link set os${this.owner}l master ${bridge} up`,
    ]);
    ipBatch(
      [
        "link set lo up",
        "link set mg0 up",
        `addr add ${L1_IP}/16 dev mg0`,
        `addr add ${ANCHOR_RPC_IP}/16 dev mg0`,
      ],
      l1,
    );

    for (let i = 0; i < this.hosts; i++) this.addHost(i);
  }

  addHost(i) {
    const ns = this.hostNs(i);
    const { router, bridge } = this;
    ip(["netns", "add", ns]);
    sysctl(ns, NO_IPV6);
    ipBatch([
      `link add eth0 netns ${ns} type veth peer name vh${i} netns ${router}`,
      `link add os${this.owner}m${i} type veth peer name mg0 netns ${ns}`,
      `link set os${this.owner}m${i} master ${bridge} up`,
    ]);
    ipBatch(
      [
        "link set lo up",
        "link set eth0 up",
        `addr add ${dataIp(i)}/32 dev eth0`,
        `route add ${DATA_NET}.0.1 dev eth0`,
        `route add ${DATA_NET}.0.0/16 via ${DATA_NET}.0.1 dev eth0`,
        "link set mg0 up",
        `addr add ${mgmtIp(i)}/16 dev mg0`,
      ],
      ns,
    );
    ipBatch(
      [
        `link set vh${i} up`,
        `addr add ${DATA_NET}.0.1/32 dev vh${i}`,
        `route add ${dataIp(i)}/32 dev vh${i} table ${DELIVER_TABLE}`,
      ],
      router,
    );
    sysctl(router, [`net.ipv4.conf.vh${i}.rp_filter=0`, `net.ipv4.conf.vh${i}.send_redirects=0`]);
  }

  /**
   * Caps host i's bandwidth each way with a token bucket (`tbf`): its uplink
   * on its own interface, its downlink on the router's side of its link.
   */
  setBandwidth(i, mbit) {
    const args = (dev) => [
      "qdisc",
      "replace",
      "dev",
      dev,
      "root",
      "tbf",
      "rate",
      `${mbit}mbit`,
      // ~10 full-size packets of burst; a queue of at most 100 ms at the rate.
      "burst",
      "15kb",
      "latency",
      "100ms",
    ];
    tc(["-n", this.hostNs(i), ...args("eth0")]);
    tc(["-n", this.router, ...args(`vh${i}`)]);
  }

  /** Cuts every path between the two groups of hosts (blackhole rules in the router), until `heal()`. */
  partition(a, b) {
    const rules = [];
    for (const x of a)
      for (const y of b) {
        rules.push(`from ${dataIp(x)} to ${dataIp(y)}`, `from ${dataIp(y)} to ${dataIp(x)}`);
      }
    ipBatch(
      rules.map((r) => `rule add ${r} blackhole prio ${PARTITION_PRIO}`),
      this.router,
    );
    this.partitionRules.push(...rules);
  }

  /** Host i can no longer reach the anchorers' RPC address (its anchorer is down; it still verifies). */
  cutAnchorRpc(i) {
    ip(["-n", this.hostNs(i), "route", "add", "blackhole", `${ANCHOR_RPC_IP}/32`]);
  }

  heal() {
    ipBatch(
      this.partitionRules.map((r) => `rule del ${r} blackhole prio ${PARTITION_PRIO}`),
      this.router,
    );
    this.partitionRules = [];
  }

  /** Bytes and packets each host sent and received on its data link (the router's view of it). */
  dataCounters() {
    const links = JSON.parse(ip(["-n", this.router, "-s", "-j", "link", "show"]));
    const out = [];
    for (const l of links) {
      const m = /^vh(\d+)$/.exec(l.ifname);
      if (!m) continue;
      const s = l.stats64 ?? l.stats;
      // The router receives what the host sends, and the other way round.
      out[Number(m[1])] = {
        txBytes: s.rx.bytes,
        rxBytes: s.tx.bytes,
        txPackets: s.rx.packets,
        rxPackets: s.tx.packets,
      };
    }
    return out;
  }

  /** `ip netns exec` prefix: the command runs in host i's namespace (execs, so the pid is the command's). */
  execIn(ns, argv) {
    return ["ip", ["netns", "exec", ns, ...argv]];
  }

  /** Removes the namespaces (after killing what still runs in them, by pid), links and the safety route. */
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    deleteRun(this.owner);
  }
}
