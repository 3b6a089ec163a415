import { describe, expect, it } from "vitest";
import { defaultNetworkOptions, resolveNetworkOptions } from "../../../src/network/options.js";

describe("resolveNetworkOptions", () => {
  it("returns the defaults for no input", () => {
    expect(resolveNetworkOptions()).toEqual(defaultNetworkOptions);
  });

  it("merges nested gossip, reqResp and rate limits without dropping defaults", () => {
    const o = resolveNetworkOptions({
      network: "x",
      gossip: { D: 4 },
      reqResp: { ttfbTimeoutMs: 1, rateLimits: { status: { perSecond: 1, burst: 1 } } },
    });
    expect(o.network).toBe("x");
    expect(o.listenAddrs).toEqual(["/ip4/127.0.0.1/tcp/0"]);
    expect(o.gossip.D).toBe(4);
    expect(o.gossip.maxPendingValidations).toBe(defaultNetworkOptions.gossip.maxPendingValidations);
    expect(o.reqResp.ttfbTimeoutMs).toBe(1);
    expect(o.reqResp.respTimeoutMs).toBe(defaultNetworkOptions.reqResp.respTimeoutMs);
    expect(o.reqResp.rateLimits).toEqual({ status: { perSecond: 1, burst: 1 } });
    // The defaults object itself is untouched.
    expect(defaultNetworkOptions.gossip.D).toBeUndefined();
    expect(defaultNetworkOptions.reqResp.rateLimits).toEqual({});
  });
});
