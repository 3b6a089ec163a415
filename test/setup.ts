// libp2p 2 uses Promise.withResolvers, which Node 20 lacks.
import "../packages/node/src/polyfill.js";
