export * from "./doppelganger.js";
export * from "./errors.js";
export * from "./keystore.js";
export * from "./slashingProtection.js";
export * from "./validatorStore.js";
