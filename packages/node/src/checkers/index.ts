export { defaultObserveOptions, ObserveChecker, type ObserveOptions, type SlotMapping } from "./observe.js";
export { CheckerPipeline, type CheckerPipelineOptions, type Decision } from "./pipeline.js";
export * from "./types.js";
