// OcpAnchor client (`@ocp/node/anchor`): contract administration and the anchorer service. Uses viem.
export * from "./admin.js";
export * from "./service.js";
