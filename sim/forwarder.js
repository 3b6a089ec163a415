// The link emulator's data path: runs in the router namespace, where every
// packet between two hosts is routed into one TUN device. It reads each IPv4
// packet, applies the sender's uplink and the receiver's downlink (one-way
// delay, jitter, loss), and writes it back to the TUN device, from where the
// kernel routes it to the receiver. Packets of one (src, dst) path never
// overtake each other: jitter on the internet varies queueing, not order.
// Usage: node forwarder.mjs <config.json>; JSON commands on stdin (set, stats, stop).
import { readFileSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { openTun, readTun } from "./harness/tun.js";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** Seeded PRNG (mulberry32): a run's drops and jitter can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(cfg.seed ?? 1);

/** ip (dotted) → {delayMs, jitterMs, loss}: one host's access link, the same each way. */
const NONE = { delayMs: 0, jitterMs: 0, loss: 0 };
const links = new Map(Object.entries(cfg.links ?? {}).map(([ip, l]) => [ip, { ...NONE, ...l }]));

/** Per-host counters, by source address. */
const stats = new Map();
const stat = (ip) => {
  let s = stats.get(ip);
  if (!s) {
    s = { packets: 0, bytes: 0, dropped: 0 };
    stats.set(ip, s);
  }
  return s;
};
let unparsed = 0;

function linkDelay(l) {
  if (l.jitterMs <= 0) return l.delayMs;
  return Math.max(0, l.delayMs + (2 * random() - 1) * l.jitterMs);
}

// ----- departure queue: a binary min-heap on (due, seq)
const heap = [];
let seq = 0;
const less = (a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq);
function push(item) {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(heap[i], heap[p])) break;
    [heap[i], heap[p]] = [heap[p], heap[i]];
    i = p;
  }
}
function pop() {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
  return top;
}

const now = () => performance.now();
const fd = openTun(cfg.tun);
/** Last departure per path, so that a path stays in order under jitter. */
const lastDue = new Map();
let timer;
let timerDue = Number.POSITIVE_INFINITY;

function flush() {
  timer = undefined;
  timerDue = Number.POSITIVE_INFINITY;
  const t = now();
  // 0.5 ms early is on time: timers fire at millisecond granularity.
  while (heap.length > 0 && heap[0].due <= t + 0.5) {
    const { buf } = pop();
    try {
      writeSync(fd, buf);
    } catch {
      // The kernel refused it (no route any more): the packet is lost, as on a wire.
    }
  }
  arm();
}

function arm() {
  if (heap.length === 0) return;
  const due = heap[0].due;
  if (timer !== undefined && due >= timerDue) return;
  if (timer !== undefined) clearTimeout(timer);
  timerDue = due;
  timer = setTimeout(flush, Math.max(0, due - now()));
}

const ipAt = (b, o) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

function onPacket(buf) {
  if (buf.length < 20 || buf[0] >> 4 !== 4) {
    unparsed++;
    return;
  }
  const src = ipAt(buf, 12);
  const dst = ipAt(buf, 16);
  const s = stat(src);
  const up = links.get(src) ?? NONE;
  const down = links.get(dst) ?? NONE;
  if ((up.loss > 0 && random() < up.loss) || (down.loss > 0 && random() < down.loss)) {
    s.dropped++;
    return;
  }
  s.packets++;
  s.bytes += buf.length;
  const path = `${src}>${dst}`;
  let due = now() + linkDelay(up) + linkDelay(down);
  const prev = lastDue.get(path);
  if (prev !== undefined && prev > due) due = prev;
  lastDue.set(path, due);
  push({ due, seq: seq++, buf });
  arm();
}

let stopping = false;
readTun(fd, (batch) => {
  if (stopping) return;
  for (const p of batch) onPacket(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
});

createInterface({ input: process.stdin }).on("line", (line) => {
  let c;
  try {
    c = JSON.parse(line);
  } catch {
    return;
  }
  if (c.cmd === "set") {
    for (const [ip, l] of Object.entries(c.links)) links.set(ip, { ...NONE, ...l });
    out({ event: "set", n: Object.keys(c.links).length });
  } else if (c.cmd === "stats") {
    out({ event: "stats", hosts: Object.fromEntries(stats), queued: heap.length, unparsed });
  } else if (c.cmd === "stop") {
    stopping = true;
    process.exit(0);
  }
});
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
out({ event: "ready", tun: cfg.tun, pid: process.pid });
