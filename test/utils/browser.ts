// Headless Chromium for browser tests, from npm packages alone: the binary
// ships inside @sparticuz/chromium (unpacked to the temp dir on first use) and
// puppeteer-core drives it. No download at run time, no system browser.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import chromium from "@sparticuz/chromium";
import puppeteer, { type Browser } from "puppeteer-core";

// Runs as root in CI (no sandbox) on a machine with no outside network: no
// background requests, no update checks, no sync.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const userDataDir = await mkdtemp(join(tmpdir(), "ocp-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    headless: true,
    args: [...FLAGS, `--user-data-dir=${userDataDir}`],
    defaultViewport: { width: 1280, height: 900 },
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
