import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout (CloudWatch, and the local runtime, read them line by line).
 * Every pipeline log line carries the upload id as `uploadId` via `logger.child({ uploadId })`.
 */
export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { fn: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
