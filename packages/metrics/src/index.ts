/**
 * @tunnel/metrics — Prometheus metrics and a health endpoint for tunnel:
 * counters and histograms fed from core's Tunnel events or diagnostics
 * channels, rendered in the text exposition format 0.0.4.
 */
export {
  type HistogramFigures,
  type MetricsSnapshot,
  type RefusedEvent,
  type ServiceFigures,
  type TunnelEventSource,
  type TunnelMetrics,
  CONNECTION_BUCKETS,
  HANDSHAKE_BUCKETS,
  createMetrics,
  emptyFigures,
} from './figures.js';
export { type LabelledSnapshot, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './exposition.js';
export { type MetricsEndpointOptions, type MetricsServer, createMetricsHandler, startMetricsServer } from './server.js';
export { MetricsError, type MetricsErrorCode } from './errors.js';
