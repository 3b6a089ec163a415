// UDP probes that measure what the link emulator does to packets, run inside
// host namespaces: `sink <port>` echoes every datagram and counts them (one-way
// loss), `send <ip> <port> <count> <intervalMs>` sends numbered datagrams and
// times the echoes (round-trip time); `tsink`/`tsend` time one TCP transfer
// (bandwidth). Each prints one JSON line when done.
import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";

const [mode, ...args] = process.argv.slice(2);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

if (mode === "sink") {
  const sock = createSocket("udp4");
  let received = 0;
  sock.on("message", (msg, rinfo) => {
    received++;
    sock.send(msg, rinfo.port, rinfo.address);
  });
  sock.bind(Number(args[0]), () => out({ event: "listening" }));
  const done = () => {
    out({ event: "sink", received });
    process.exit(0);
  };
  process.stdin.on("data", done);
  process.stdin.on("end", done);
  process.on("SIGTERM", done);
} else if (mode === "send") {
  const [host, port, count, intervalMs] = [args[0], Number(args[1]), Number(args[2]), Number(args[3])];
  const sock = createSocket("udp4");
  const sentAt = new Float64Array(count);
  const rtts = [];
  sock.on("message", (msg) => {
    const i = msg.readUInt32BE(0);
    if (i < count && sentAt[i] > 0) {
      rtts.push(performance.now() - sentAt[i]);
      sentAt[i] = -1;
    }
  });
  sock.bind(0, async () => {
    const buf = Buffer.alloc(64);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      // Paced against the start, so timer lag does not stretch the run.
      const wait = t0 + i * intervalMs - performance.now();
      // Always yield, so echoes are timed as they arrive and sends are not bunched.
      await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
      buf.writeUInt32BE(i, 0);
      sentAt[i] = performance.now();
      sock.send(buf, port, host);
    }
    // Late echoes: wait well past any configured delay.
    await new Promise((r) => setTimeout(r, 2000));
    rtts.sort((a, b) => a - b);
    const q = (p) => (rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))] : null);
    out({
      event: "send",
      sent: count,
      echoed: rtts.length,
      rttP50: q(0.5),
      rttP05: q(0.05),
      rttP95: q(0.95),
      rttMin: rtts[0] ?? null,
      rttMax: rtts.at(-1) ?? null,
    });
    process.exit(0);
  });
} else if (mode === "tsink") {
  // TCP: counts the bytes of one connection and the time from its first to its last byte.
  const server = createServer((c) => {
    let bytes = 0;
    let first = 0;
    let last = 0;
    c.on("data", (d) => {
      if (bytes === 0) first = performance.now();
      bytes += d.length;
      last = performance.now();
    });
    c.on("end", () => {
      out({ event: "tsink", bytes, ms: last - first });
      process.exit(0);
    });
  });
  server.listen(Number(args[0]), () => out({ event: "listening" }));
} else if (mode === "tsend") {
  const c = connect(Number(args[1]), args[0], () => {
    c.end(Buffer.alloc(Number(args[2]), 1), () => out({ event: "tsend" }));
  });
} else {
  process.stderr.write(
    "usage: probe.js sink <port> | send <ip> <port> <count> <intervalMs> | tsink <port> | tsend <ip> <port> <bytes>\n",
  );
  process.exit(2);
}
