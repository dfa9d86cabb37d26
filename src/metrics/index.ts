/**
 * Metrics for Prometheus's node-exporter textfile collector: a pure renderer, a collector that
 * reads only stored state (no HAProxy or CA request), and an atomic writer.
 */
export { escapeLabelValue, renderMetrics, type CertificateMetrics, type MetricsSnapshot } from './renderMetrics';
export { collectMetrics, toCertificateMetrics, type CollectMetricsDeps } from './collectMetrics';
export {
  METRICS_FILE_MODE,
  recordMetrics,
  writeMetricsFile,
  type RecordMetricsOptions,
  type WriteMetricsFileOptions,
} from './writeMetricsFile';
