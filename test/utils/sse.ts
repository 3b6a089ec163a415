// Test helper: reads a server-sent-events body and hands out events by name.

export interface SseReader {
  /** JSON data of the next event named `event`; rejects after `ms`. */
  next(event: string, ms?: number): Promise<any>;
}

export function sseReader(body: ReadableStream<Uint8Array>): SseReader {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const queue: { event: string; data: string }[] = [];
  let buf = "";
  return {
    async next(event, ms = 10_000) {
      const until = Date.now() + ms;
      for (;;) {
        const i = queue.findIndex((e) => e.event === event);
        if (i >= 0) return JSON.parse(queue.splice(i, 1)[0]!.data);
        const left = until - Date.now();
        if (left <= 0) throw new Error(`no ${event} event`);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no ${event} event within ${ms} ms`)), left);
        });
        const { value, done } = await Promise.race([reader.read(), timeout]).finally(() =>
          clearTimeout(timer),
        );
        if (done) throw new Error("event stream ended");
        buf += value;
        for (let end = buf.indexOf("\n\n"); end >= 0; end = buf.indexOf("\n\n")) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const ev = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (ev !== undefined && data !== undefined) queue.push({ event: ev, data });
        }
      }
    },
  };
}
