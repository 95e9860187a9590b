/** The system figures kept as history: their names in request_data and alert rules, their units, and their columns in the store. */

export interface SystemMetric {
  /** As clients name it: a field of `performance.system`, dotted for nested ones. */
  name: string;
  unit: string;
  /** Column of `system_samples`. */
  column: string;
}

export const SYSTEM_METRICS: readonly SystemMetric[] = [
  { name: 'cpu_percent', unit: '%', column: 'cpu_percent' },
  { name: 'memory_percent', unit: '%', column: 'memory_percent' },
  { name: 'disk_usage_percent', unit: '%', column: 'disk_usage_percent' },
  { name: 'network_io.bytes_sent', unit: 'bytes', column: 'bytes_sent' },
  { name: 'network_io.bytes_recv', unit: 'bytes', column: 'bytes_recv' },
  { name: 'process_count', unit: 'processes', column: 'process_count' },
];

const BY_NAME = new Map(SYSTEM_METRICS.map((metric) => [metric.name, metric]));

export function systemMetric(name: string): SystemMetric | undefined {
  return BY_NAME.get(name);
}

/** The number at a dotted path of a `performance.system` sample, or undefined. */
export function readSystemValue(sample: Record<string, unknown>, path: string): number | undefined {
  let value: unknown = sample;
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
