// Attaches to a Linux TUN device from Node: /dev/net/tun is opened with fs and
// bound to a named device with the TUNSETIFF ioctl, which Node cannot issue by
// itself, so it goes through libc via koffi (an FFI whose binary ships in its
// npm package). Packets are read in a worker thread that blocks in poll(2) and
// hands them over in batches: a libuv threadpool read per packet was too slow.
import { constants, openSync, readSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import koffi from "koffi";

// <linux/if_tun.h>: _IOW('T', 202, int), and the flags of struct ifreq.ifr_flags.
const TUNSETIFF = 0x400454ca;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
// struct ifreq: 16-byte name, then a union whose first member is the short flags.
const IFREQ_SIZE = 40;
const POLLIN = 1;

let libc;
const lib = () => {
  if (!libc) {
    const l = koffi.load("libc.so.6");
    libc = {
      ioctl: l.func("int ioctl(int fd, unsigned long req, _Inout_ uint8_t *arg)"),
      poll: l.func("int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)"),
    };
  }
  return libc;
};

/** Opens `/dev/net/tun` bound to the TUN device `name` (layer 3, no packet info, non-blocking); returns the fd. */
export function openTun(name) {
  if (Buffer.byteLength(name) >= 16) throw new Error(`TUN name too long: ${name}`);
  const fd = openSync("/dev/net/tun", constants.O_RDWR | constants.O_NONBLOCK);
  const req = Buffer.alloc(IFREQ_SIZE);
  req.write(name, 0, "latin1");
  req.writeUInt16LE(IFF_TUN | IFF_NO_PI, 16);
  if (lib().ioctl(fd, TUNSETIFF, req) < 0)
    throw new Error(`TUNSETIFF ${name} failed (errno ${koffi.errno()})`);
  return fd;
}

/** Reads packets from the TUN fd in a worker thread; `onBatch(packets)` gets them in arrival order. */
export function readTun(fd, onBatch) {
  const w = new Worker(new URL(import.meta.url), { workerData: { fd } });
  w.on("message", onBatch);
  w.on("error", (e) => {
    throw e;
  });
  w.unref();
  return w;
}

function readerLoop(fd) {
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(POLLIN, 4);
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    const batch = [];
    for (;;) {
      let n;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if (e.code === "EAGAIN") break;
        throw e;
      }
      batch.push(new Uint8Array(buf.subarray(0, n)));
      if (batch.length >= 256) break;
    }
    if (batch.length > 0)
      parentPort.postMessage(
        batch,
        batch.map((b) => b.buffer),
      );
    else lib().poll(pfd, 1, 1000);
  }
}

if (!isMainThread && workerData?.fd !== undefined) readerLoop(workerData.fd);
