// The one structured-logger shape node components log through. Pino's
// logger satisfies it, so the daemon passes its pino child loggers directly.

export type LogFn = (obj: Record<string, unknown>, msg: string) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => {};

/** Discards everything; the default when a component is given no logger. */
export const nullLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
