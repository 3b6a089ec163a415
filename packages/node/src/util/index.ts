export * from "./logger.js";
export * from "./mutex.js";
export * from "./timeout.js";
export * from "./yield.js";
