import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Two projects: fast unit tests run in parallel; integration tests (anvil,
// libp2p over TCP, LevelDB on disk) run one file at a time.
const src = (pkg: string, file = "index.ts"): string =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

export default defineConfig({
  // Tests run against the sources, so no build is needed between edits.
  resolve: {
    alias: {
      // Subpaths before their package: an alias also matches "<key>/…".
      "@ocp/protocol/light": src("protocol", "light.ts"),
      "@ocp/protocol/bls/blst": src("protocol", "bls/blst.ts"),
      "@ocp/protocol/bls/noble": src("protocol", "bls/noble.ts"),
      "@ocp/protocol": src("protocol"),
      // Subpaths before "@ocp/node": an alias also matches "<key>/…".
      "@ocp/node/anchor": src("node", "anchor/index.ts"),
      "@ocp/node/api": src("node", "api/index.ts"),
      "@ocp/node/devnet": src("node", "devnet/index.ts"),
      "@ocp/node/polyfill": src("node", "polyfill.ts"),
      "@ocp/node": src("node"),
    },
  },
  test: {
    setupFiles: ["./test/setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "contracts/test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
