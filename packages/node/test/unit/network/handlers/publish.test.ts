// Publishing our own messages: one that found no topic peer goes out again.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { GossipPublishResult } from "../../../../src/network/gossip.js";
import { NO_PEERS_RETRY_MS, quietPublisher } from "../../../../src/network/handlers/gossip.js";
import { GossipKind } from "../../../../src/network/topics.js";
import { nullLogger } from "../../../../src/util/logger.js";

/** A network whose publishes answer the given outcomes in turn (the last one repeats). */
function network(outcomes: (GossipPublishResult["outcome"] | Error)[]) {
  const calls: number[] = [];
  return {
    calls,
    publish: async (): Promise<GossipPublishResult> => {
      const o = outcomes[Math.min(calls.length, outcomes.length - 1)]!;
      calls.push(Date.now());
      if (o instanceof Error) throw o;
      return { outcome: o, recipients: o === "sent" ? 1 : 0 };
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("quietPublisher", () => {
  it("publishes a message that found no topic peer again, in the background, until a peer gets it", async () => {
    vi.useFakeTimers({ now: 0 });
    const net = network(["no_peers", "no_peers", "sent"]);
    const publish = quietPublisher(net, nullLogger);
    await publish(GossipKind.attestation, Uint8Array.of(1));
    // The caller is not held up by the retries.
    expect(net.calls).toEqual([0]);
    await vi.advanceTimersByTimeAsync(10_000);
    const [a, b] = NO_PEERS_RETRY_MS as [number, number];
    expect(net.calls).toEqual([0, a, a + b]);
  });

  it("gives up after the last retry, and never retries a message that was sent or failed", async () => {
    vi.useFakeTimers({ now: 0 });
    const never = network(["no_peers"]);
    await quietPublisher(never, nullLogger)(GossipKind.attestation, Uint8Array.of(1));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(never.calls).toHaveLength(1 + NO_PEERS_RETRY_MS.length);

    const sent = network(["sent"]);
    await quietPublisher(sent, nullLogger)(GossipKind.attestation, Uint8Array.of(1));
    const failed = network([new Error("stopped")]);
    await quietPublisher(failed, nullLogger)(GossipKind.attestation, Uint8Array.of(1));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent.calls).toHaveLength(1);
    expect(failed.calls).toHaveLength(1);
  });
});
