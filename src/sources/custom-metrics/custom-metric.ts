/** Custom metrics (`performance.<metric_name>`, the spec's second performance message): what programs may send, and the event each becomes. */
import { type Static, Type } from '@sinclair/typebox';
import { type CustomMetric, type EventNameOf, QBITTORRENT_METRIC_PREFIX } from '../../protocol/index.js';
import { systemMetric } from '../../store/system-metrics.js';

/** Names become event subtypes (`performance.<metric_name>`), so they follow the event name grammar. */
const METRIC_NAME = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';
/** Tag keys become Prometheus label names. */
const TAG_KEY = '^(?!__)[A-Za-z_][A-Za-z0-9_]{0,63}$';
const MAX_BATCH = 1000;

const CustomMetricInputSchema = Type.Object(
  {
    metric_name: Type.String({ pattern: METRIC_NAME, description: 'Letters, digits, "_", "." and "-"; not a system metric name.' }),
    value: Type.Number(),
    unit: Type.Optional(Type.String({ maxLength: 32, description: 'Default "".' })),
    category: Type.Optional(Type.String({ maxLength: 64, description: 'Default "custom".' })),
    tags: Type.Optional(
      Type.Record(Type.String({ pattern: TAG_KEY }), Type.String({ maxLength: 256 }), { maxProperties: 16, additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type CustomMetricInput = Static<typeof CustomMetricInputSchema>;

/** What `POST /api/v1/metrics` takes: one metric, or a batch of 1 to 1000 checked whole. */
export const CustomMetricBatchSchema = Type.Union([
  CustomMetricInputSchema,
  Type.Array(CustomMetricInputSchema, { minItems: 1, maxItems: MAX_BATCH, errorMessage: `a batch holds 1 to ${MAX_BATCH} metrics` }),
]);
export type CustomMetricBatch = Static<typeof CustomMetricBatchSchema>;

export type ParsedBatch = { ok: true; metrics: CustomMetricInput[] } | { ok: false; reason: string };

/** The metrics of a batch that passed its schema, unless one takes a system metric's name (the reason names it: `[3].metric_name`). */
export function batchMetrics(body: CustomMetricBatch): ParsedBatch {
  const metrics = Array.isArray(body) ? body : [body];
  for (const [index, { metric_name: name }] of metrics.entries()) {
    const field = Array.isArray(body) ? `[${index}].metric_name` : 'metric_name';
    if (name === 'system' || systemMetric(name)) return { ok: false, reason: `${field}: "${name}" is a system metric name` };
    if (name === QBITTORRENT_METRIC_PREFIX || name.startsWith(`${QBITTORRENT_METRIC_PREFIX}.`)) {
      return { ok: false, reason: `${field}: "${name}" is reserved for qBittorrent's figures` };
    }
  }
  return { ok: true, metrics };
}

/** The event a custom metric is published as, with the spec's fields all present. */
export function customMetricEvent(input: CustomMetricInput): { name: EventNameOf<'performance'>; data: CustomMetric } {
  return {
    name: `performance.${input.metric_name}`,
    data: {
      metric_name: input.metric_name,
      value: input.value,
      unit: input.unit ?? '',
      category: input.category ?? 'custom',
      tags: input.tags ?? {},
    },
  };
}
