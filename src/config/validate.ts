/** Fills defaults and validates a config value; every problem is reported with the field it concerns. */
import { Value } from '@sinclair/typebox/value';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ruleProblems } from './alert-rules.js';
import { clipboardRuleProblems } from './clipboard-rules.js';
import { notificationProblems } from './notification-targets.js';
import { AlertsConfigSchema, ClipboardConfigSchema, type Config, ConfigSchema } from './schema.js';

const check = TypeCompiler.Compile(ConfigSchema);

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`invalid config (${source}):\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** Returns the complete config, defaults filled in, or throws ConfigError naming each bad field. */
export function validateConfig(input: unknown, source: string): Config {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(source, ['(root): must be a JSON object']);
  }
  const value = Value.Default(ConfigSchema, Value.Clone(input));
  const problems = [...check.Errors(value)].map((e) => `${fieldName(e.path)}: ${e.message}`);
  problems.push(...crossFieldProblems(value as Config));
  if (problems.length > 0) throw new ConfigError(source, [...new Set(problems)]);
  return value as Config;
}

function fieldName(path: string): string {
  return path === '' ? '(root)' : path.slice(1).replaceAll('/', '.');
}

function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  const { server, auth } = config;
  if (config.clipboard?.fast_check_interval > config.check_interval) {
    problems.push('clipboard.fast_check_interval: must not exceed check_interval (the longest wait between checks)');
  }
  if (server?.heartbeat_timeout_ms > server?.heartbeat_interval_ms) {
    problems.push('server.heartbeat_timeout_ms: must not exceed server.heartbeat_interval_ms');
  }
  if (server?.send_buffer_soft_bytes >= server?.send_buffer_hard_bytes) {
    problems.push('server.send_buffer_soft_bytes: must be below server.send_buffer_hard_bytes');
  }
  auth?.api_keys?.forEach((key, index) => {
    if ((key.key === undefined) === (key.key_sha256 === undefined)) {
      problems.push(`auth.api_keys.${index}: give exactly one of "key" or "key_sha256"`);
    }
  });
  // Rules that fail the schema are reported by it; only well-formed ones are checked against each other.
  if (Value.Check(AlertsConfigSchema, config.alerts)) problems.push(...ruleProblems(config.alerts.rules));
  if (Value.Check(ClipboardConfigSchema, config.clipboard)) problems.push(...clipboardRuleProblems(config));
  problems.push(...notificationProblems(config));
  return problems;
}
