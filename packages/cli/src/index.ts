export { buildProgram, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, run } from "./program.js";
