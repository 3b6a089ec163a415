// libp2p 3 uses Promise.withResolvers, which Node 20 lacks (a no-op on Node ≥ 22).
import "../packages/node/src/polyfill.js";
