export {
  ANVIL_PRIVATE_KEYS,
  type Anvil,
  type AnvilOptions,
  anvilBinary,
  startAnvil,
} from "./devnet/anvil.js";
