// `node --import` this file to log every module the process resolves into the
// file named by OCP_RESOLVE_LOG (see resolve-log.mjs).
import { register } from "node:module";

const logFile = process.env.OCP_RESOLVE_LOG;
if (!logFile) throw new Error("OCP_RESOLVE_LOG is not set");
register("./resolve-log.mjs", import.meta.url, { data: { logFile } });
