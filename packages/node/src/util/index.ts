export * from "./logger.js";
export * from "./mutex.js";
