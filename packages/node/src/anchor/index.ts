export * from "./admin.js";
export * from "./service.js";
