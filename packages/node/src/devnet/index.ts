// Development-chain helpers (`@ocp/node/devnet`): a managed anvil process and the
// devnet orchestrator's calldata. Kept out of the main entry with viem.
export { ANVIL_PRIVATE_KEYS, type Anvil, type AnvilOptions, anvilBinary, startAnvil } from "./anvil.js";
export { orchestratorCalldata } from "./orchestrator.js";
