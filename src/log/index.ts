export { CapturingLogger, silentLogger } from './logger';
export type { Logger, LogFields, LogRecord } from './logger';
export { createLogger, type CreateLoggerOptions } from './_winston';
export { redactSecrets } from './_redact';
