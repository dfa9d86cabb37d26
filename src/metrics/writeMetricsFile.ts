import { messageOf } from '../errors';
import type { Logger } from '../log';
import { writeFileAtomic, type FileSystem } from '../storage';
import { collectMetrics, type CollectMetricsDeps } from './collectMetrics';
import { renderMetrics } from './renderMetrics';

/**
 * Mode of the metrics file: node-exporter runs as its own user and must read it, and it holds no
 * secret (certificate names, dates, endpoint labels).
 */
export const METRICS_FILE_MODE = 0o644;

/** Options of writeMetricsFile(). */
export interface WriteMetricsFileOptions {
  /** Default: node:fs/promises. */
  fs?: FileSystem;
}

/**
 * Replaces the metrics file atomically (temp file `.<name>.tmp-…` in the same directory, which
 * the textfile collector ignores since it reads only `*.prom`, then rename), mode 0644.
 * @throws StorageError STORAGE_IO when it cannot be written
 */
export async function writeMetricsFile(
  path: string,
  text: string,
  options: WriteMetricsFileOptions = {},
): Promise<void> {
  await writeFileAtomic(path, text, {
    mode: METRICS_FILE_MODE,
    ...(options.fs === undefined ? {} : { fs: options.fs }),
  });
}

/** The deepest cause's message: storage wraps the system error twice, each time naming the path. */
function innermostMessage(error: unknown): string {
  let current = error;
  // Duck-typed: a system error from another realm (a test sandbox) is not `instanceof Error`.
  for (let depth = 0; depth < 5 && (current as { cause?: unknown } | null)?.cause !== undefined; depth += 1) {
    current = (current as { cause: unknown }).cause;
  }
  const message = (current as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : messageOf(current);
}

/** Options of recordMetrics(). */
export interface RecordMetricsOptions extends CollectMetricsDeps, WriteMetricsFileOptions {
  logger: Logger;
}

/**
 * Collects, renders and writes the metrics file. Never throws: metrics are a view, so a failure
 * is logged as a warning and the command's outcome stands. Resolves true when the file was written.
 */
export async function recordMetrics(path: string, options: RecordMetricsOptions): Promise<boolean> {
  try {
    await writeMetricsFile(path, renderMetrics(await collectMetrics(options)), options);
    options.logger.debug('Metrics written', { metricsFile: path });
    return true;
  } catch (error) {
    options.logger.warn(`Cannot write metrics file "${path}": ${innermostMessage(error)}`, { metricsFile: path });
    return false;
  }
}
