/** Picks where a link goes: the first clipboard rule that matches it, else the clipboard defaults. */
import { compilePattern, type LinkPattern, parseSize, RegexTimeoutError } from '../../config/clipboard-rules.js';
import type { ClipboardRuleConfig, Config } from '../../config/schema.js';
import type { Placement } from '../../protocol/index.js';
import type { ValidTorrentLink } from './find-torrent-links.js';

export interface Decision extends Placement {
  skip: boolean;
}

interface CompiledRule {
  config: ClipboardRuleConfig;
  name?: LinkPattern;
  url?: LinkPattern;
  tracker?: string;
  min?: number;
  max?: number;
}

/** Compiled once per rules list: a config change brings a new list. */
const compiledLists = new WeakMap<readonly ClipboardRuleConfig[], CompiledRule[]>();

/**
 * The decision for `link`. A rule whose regular expression runs past its time limit does not match
 * (`onTimeout` hears of it) and the next rule is tried.
 */
export function decide(
  link: ValidTorrentLink,
  clipboard: Config['clipboard'],
  onTimeout: (rule: string, field: 'name' | 'url') => void,
): Decision {
  for (const rule of compiled(clipboard.rules)) {
    if (matches(rule, link, onTimeout)) {
      const { name, category, tags, save_path: savePath, paused, skip } = rule.config;
      return {
        rule: name,
        category: category ?? null,
        tags: tags ?? [],
        save_path: savePath ?? null,
        paused: paused ?? false,
        skip: skip ?? false,
      };
    }
  }
  return { rule: null, category: clipboard.category ?? null, tags: [], save_path: clipboard.save_path ?? null, paused: false, skip: false };
}

function compiled(rules: readonly ClipboardRuleConfig[]): CompiledRule[] {
  let list = compiledLists.get(rules);
  if (list === undefined) {
    list = rules.map(compileRule);
    compiledLists.set(rules, list);
  }
  return list;
}

function compileRule(config: ClipboardRuleConfig): CompiledRule {
  // The config was validated: every pattern compiles.
  const pattern = (text: string | undefined) => {
    const result = text === undefined ? undefined : compilePattern(text);
    return result?.ok ? result.value : undefined;
  };
  const { size } = config.match;
  return {
    config,
    name: pattern(config.match.name),
    url: pattern(config.match.url),
    tracker: config.match.tracker?.toLowerCase().replace(/\.$/, ''),
    min: size?.min === undefined ? undefined : parseSize(size.min),
    max: size?.max === undefined ? undefined : parseSize(size.max),
  };
}

/** Every key the rule gives must match; an unknown name, size or tracker list does not. */
function matches(rule: CompiledRule, link: ValidTorrentLink, onTimeout: (rule: string, field: 'name' | 'url') => void): boolean {
  if (rule.min !== undefined || rule.max !== undefined) {
    if (link.size === null || link.size < (rule.min ?? 0) || link.size > (rule.max ?? Number.POSITIVE_INFINITY)) return false;
  }
  const { tracker } = rule;
  if (tracker !== undefined && !link.trackers.some((url) => isOnHost(url, tracker))) return false;
  const fits = (field: 'name' | 'url', pattern: LinkPattern, value: string) => {
    try {
      return pattern.test(value);
    } catch (error) {
      if (!(error instanceof RegexTimeoutError)) throw error;
      onTimeout(rule.config.name, field);
      return false;
    }
  };
  if (rule.name && (link.name === null || !fits('name', rule.name, link.name))) return false;
  if (rule.url && !fits('url', rule.url, link.url)) return false;
  return true;
}

function isOnHost(trackerUrl: string, host: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(trackerUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  return hostname === host || hostname.endsWith(`.${host}`);
}
