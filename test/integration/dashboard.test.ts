// The node dashboard in a real headless Chromium, against a live four-node
// network with an anchorer: slots appear and turn "anchored", the verifier
// that was stopped for two slots shows as missing exactly there, and the page
// logs no errors. Saves a screenshot in test/integration/.output/.
import { mkdir } from "node:fs/promises";
import { OcpNode } from "@ocp/node";
import pino from "pino";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { launchBrowser } from "../utils/browser.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

// Functions passed to page.evaluate run in the browser: their globals, typed
// loosely here so the Node-side type check does not pull in the DOM library.
// biome-ignore lint/suspicious/noExplicitAny: browser globals inside page.evaluate
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: browser globals inside page.evaluate
declare const window: any;

const OUTPUT = new URL("./.output/", import.meta.url);
const STOPPED = 3;

describe("dashboard in a browser", () => {
  let c: Cluster;
  let browser: Browser;
  let closeBrowser: (() => Promise<void>) | undefined;
  let page: Page;
  const errors: string[] = [];
  const rng = makeRng(11);

  /** One slot with a table, committed by the builder; resolves once node 0 holds its certificate. */
  const slot = async (): Promise<bigint> => {
    const { slot, observation } = await c.post([randomBatch(rng, { maxEntries: 3 })], "direct");
    await c.mine(1);
    await c.commit(observation);
    const stream = c.nodes[0]!.streams[0]!;
    await waitFor(() => c.nodes[0]!.bestCertificate(stream, slot), 30_000, `certificate for ${slot}`);
    return slot;
  };

  const cellState = (verifier: number, s: bigint): Promise<string | null> =>
    page.evaluate(
      (v, k) =>
        document.querySelector(`.cell[data-verifier="${v}"][data-slot="${k}"]`)?.getAttribute("data-state") ??
        null,
      verifier,
      s.toString(),
    );
  const rowStatus = (s: bigint): Promise<string | null> =>
    page.evaluate(
      (k) => document.querySelector(`tr[data-slot="${k}"] td.status`)?.textContent ?? null,
      s.toString(),
    );

  beforeAll(async () => {
    // Two anchorers take turns: the page must show slots anchored by the other one too.
    c = await startCluster({ nodes: 4, anchorers: [0, 1], node: { api: {} } });
    await c.waitMeshed(3, 30_000);
    ({ browser, close: closeBrowser } = await launchBrowser());
    page = await browser.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("requestfailed", (r) => {
      // The event stream is cut when the test closes the page; anything else is a failure.
      if (!r.url().includes("/v1/events")) errors.push(`request failed: ${r.url()}`);
    });
    await page.goto(c.nodes[0]!.api!.url!, { waitUntil: "load" });
    await page.waitForFunction(() => document.getElementById("stream-state")?.textContent === "live", {
      timeout: 10_000,
    });
  }, 90_000);

  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await closeBrowser?.();
    await c?.stop();
  });

  // Filled by the first test, read by the page opened afterwards.
  let all: bigint[] = [];
  let down: bigint[] = [];

  /** Waits until the page shows verifier `v` as having signed slot `s`. */
  const shownSigned = (v: number, s: bigint) =>
    page.waitForFunction(
      (v, k) =>
        document
          .querySelector(`.cell[data-verifier="${v}"][data-slot="${k}"]`)
          ?.getAttribute("data-state") === "signed",
      { timeout: 30_000 },
      v,
      s.toString(),
    );

  it("shows slots turn anchored and the stopped verifier missing exactly where it was down", async () => {
    const before = [await slot(), await slot()];
    // A quorum of three certifies a slot: the verifier about to be stopped may not
    // have sent its vote yet, and stopped then it rightly shows as missed there.
    for (const s of before) await shownSigned(STOPPED, s);

    await c.nodes[STOPPED]!.stop();
    c.nodes[STOPPED] = undefined;
    down = [await slot(), await slot()];

    // Back up; it decides only slots after its restart (one pending slot), as a
    // verifier that was offline does, so the two slots stay missed.
    const opts = c.nodeOptions(STOPPED);
    const node = new OcpNode(
      { ...opts, proposal: { ...opts.proposal, maxPendingSlots: 1 } },
      { secretKeys: c.keys[STOPPED]!, logger: pino({ level: "silent" }) },
    );
    // The slots it signs from here on (its own votes; the event also carries its peers').
    const signed = new Set<string>();
    node.events.on("attestation", (a) => {
      if (a.verifierIndex === STOPPED) signed.add(a.observation.slot.toString());
    });
    await node.start();
    c.nodes[STOPPED] = node;
    await waitFor(() => (node.network.getPeers().length >= 3 ? true : undefined), 30_000, "peers again");
    // Its subscriptions reach the peers at the next gossip heartbeats (700 ms).
    await new Promise((r) => setTimeout(r, 1500));
    // Each slot waits for the restarted verifier's own vote before the next one is
    // posted: with one pending slot, a node still catching up on a loaded machine
    // would otherwise pass over a slot, which is not what this test looks at.
    const after: bigint[] = [];
    for (let i = 0; i < 2; i++) {
      const s = await slot();
      await waitFor(
        () => signed.has(s.toString()) || undefined,
        30_000,
        `verifier ${STOPPED} signing slot ${s}`,
      );
      after.push(s);
    }
    all = [...before, ...down, ...after];

    for (const s of all) {
      await page.waitForFunction(
        (k) => document.querySelector(`tr[data-slot="${k}"] td.status`)?.textContent === "anchored",
        { timeout: 60_000 },
        s.toString(),
      );
      expect(await rowStatus(s)).toBe("anchored");
    }
    // Every slot's row shows a weight against the quorum.
    const weights = await page.$$eval("#timeline tbody tr", (rows) =>
      rows.map((r) => r.children[3]?.textContent ?? ""),
    );
    for (const w of weights.slice(0, all.length)) expect(w).toMatch(/^[34]\/4$/);

    // The stopped verifier's signatures of the slots after its restart arrive by gossip.
    for (const s of after) await shownSigned(STOPPED, s);
    for (const s of all) {
      for (let v = 0; v < 4; v++) {
        const expected = v === STOPPED && down.includes(s) ? "missed" : "signed";
        expect(await cellState(v, s), `verifier ${v} slot ${s}`).toBe(expected);
      }
    }

    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: new URL("dashboard.png", OUTPUT).pathname, fullPage: true });
    await page.setViewport({ width: 390, height: 844 });
    await page.screenshot({ path: new URL("dashboard-narrow.png", OUTPUT).pathname, fullPage: true });
    // Narrow window: the page itself does not scroll sideways (tables scroll in their boxes).
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // ...and the slot and peer tables fit their boxes: status and latency are seen without scrolling.
    for (const id of ["timeline", "peers"]) {
      const hidden = await page.$eval(`#${id}`, (t) => t.scrollWidth - (t.parentElement?.clientWidth ?? 0));
      expect(hidden, `#${id} wider than its box by ${hidden} px`).toBeLessThanOrEqual(0);
    }
    expect(errors).toEqual([]);
  }, 150_000);

  it("a page opened later shows the same past: slots anchored, the stopped verifier missing where it was down", async () => {
    expect(all.length).toBe(6);
    await page.close();
    page = await browser.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(c.nodes[0]!.api!.url!, { waitUntil: "load" });
    for (const s of all) {
      await page.waitForFunction(
        (k) => document.querySelector(`tr[data-slot="${k}"] td.status`)?.textContent === "anchored",
        { timeout: 20_000 },
        s.toString(),
      );
    }
    // Read back from stored certificates: the stopped verifier is in none of
    // the two slots it was down for; every slot shows its weight.
    for (const s of down) expect(await cellState(STOPPED, s)).toBe("missed");
    for (const s of all) for (let v = 0; v < 3; v++) expect(await cellState(v, s)).not.toBe("pending");
    const weights = await page.$$eval("#timeline tbody tr", (rows) =>
      rows.map((r) => r.children[3]?.textContent ?? ""),
    );
    expect(weights.length).toBeGreaterThanOrEqual(all.length);
    for (const w of weights.slice(0, all.length)) expect(w).toMatch(/^[34]\/4$/);
    expect(errors).toEqual([]);
  }, 60_000);
});
