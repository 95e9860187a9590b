/** What the config's alert rules mean beyond their schema: the alert type and clear threshold each defaults to, and the checks across rules. */
import { AlertType, parseEventName } from '../protocol/index.js';
import type { AlertRuleConfig } from './schema.js';

/** Alert types raised by component health, not by threshold rules: no rule may take them. */
export const COMPONENT_ALERT_TYPES: ReadonlySet<string> = new Set([AlertType.qbittorrent, AlertType.torrent]);

const DEFAULT_TYPES: Readonly<Record<string, string>> = {
  cpu_percent: AlertType.cpu,
  memory_percent: AlertType.memory,
  disk_usage_percent: AlertType.disk,
};

/** Share of |threshold| that clears a rule when it gives neither `clear_threshold` nor `hysteresis`. */
const DEFAULT_HYSTERESIS_SHARE = 0.05;

/** The rule's `type`, else cpu, memory or disk for those metrics, else the metric's name. */
export function alertTypeOf(rule: AlertRuleConfig): string {
  return rule.type ?? DEFAULT_TYPES[rule.metric] ?? rule.metric;
}

/** Whether the rule is breached by values above its threshold (`>`, `>=`). */
export const isUpward = (rule: AlertRuleConfig): boolean => rule.comparison.startsWith('>');

/** The value the rule clears past: `clear_threshold`, else the threshold less (or plus) the hysteresis. */
export function clearThresholdOf(rule: AlertRuleConfig): number {
  if (rule.clear_threshold !== undefined) return rule.clear_threshold;
  const hysteresis = rule.hysteresis ?? Math.abs(rule.threshold) * DEFAULT_HYSTERESIS_SHARE;
  return isUpward(rule) ? rule.threshold - hysteresis : rule.threshold + hysteresis;
}

/** What is wrong with a set of rules, each problem naming its field (checked with the rest of the config). */
export function ruleProblems(rules: readonly AlertRuleConfig[]): string[] {
  const problems: string[] = [];
  const groups = new Map<string, { metric: string; levels: Set<string> }>();
  rules.forEach((rule, index) => {
    const field = `alerts.rules.${index}`;
    const type = alertTypeOf(rule);
    if (!parseEventName(`alert.${type}`)) problems.push(`${field}.type: "${type}" is not a valid alert type; set "type"`);
    if (COMPONENT_ALERT_TYPES.has(type)) problems.push(`${field}.type: "${type}" is reserved for component health alerts`);
    if (rule.clear_threshold !== undefined && rule.hysteresis !== undefined) {
      problems.push(`${field}: give "clear_threshold" or "hysteresis", not both`);
    }
    const clear = clearThresholdOf(rule);
    if (isUpward(rule) ? clear > rule.threshold : clear < rule.threshold) {
      problems.push(
        `${field}.clear_threshold: must be on the recovered side of the threshold (${isUpward(rule) ? 'at most' : 'at least'} ${rule.threshold})`,
      );
    }
    const group = groups.get(type);
    if (!group) {
      groups.set(type, { metric: rule.metric, levels: new Set([rule.level]) });
      return;
    }
    if (group.metric !== rule.metric) {
      problems.push(
        `${field}.metric: rules of alert type "${type}" must share one metric ("${group.metric}"); give this rule another "type"`,
      );
    }
    if (group.levels.has(rule.level)) problems.push(`${field}.level: alert type "${type}" already has a ${rule.level} rule`);
    group.levels.add(rule.level);
  });
  return problems;
}
