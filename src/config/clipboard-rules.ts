/** What the clipboard rules' patterns and sizes mean beyond their schema: how each is written, checked and matched, and the checks across rules. */
import { createContext, Script } from 'node:vm';
import safeRegex from 'safe-regex2';
import type { ClipboardRuleConfig, Config } from './schema.js';

/** A compiled pattern: `test` never runs longer than REGEX_TIME_LIMIT_MS; it throws RegexTimeoutError when a regular expression takes too long. */
export interface LinkPattern {
  readonly kind: 'substring' | 'glob' | 'regex';
  test(value: string): boolean;
}

export type Compiled<T> = { ok: true; value: T } | { ok: false; problem: string };

/** How long one regular expression may run on one value before it counts as no match: wall time, so with room for a busy machine. */
export const REGEX_TIME_LIMIT_MS = 250;
const REGEX_FLAGS = /^[imsu]*$/;
/** safe-regex2's default: more repetitions than this in one expression is refused like a nested quantifier. */
const REPETITION_LIMIT = 25;
const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
};

export class RegexTimeoutError extends Error {
  override readonly name = 'RegexTimeoutError';
}

/** `/source/flags` a regular expression, a text with `*` a glob, anything else a substring; all case-insensitive unless flags say otherwise. */
export function compilePattern(text: string): Compiled<LinkPattern> {
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(text);
  if (regex) return compileRegex(regex[1] ?? '', regex[2] ?? '');
  const needle = text.toLowerCase();
  if (text.includes('*')) return { ok: true, value: { kind: 'glob', test: (value) => globMatches(needle, value.toLowerCase()) } };
  return { ok: true, value: { kind: 'substring', test: (value) => value.toLowerCase().includes(needle) } };
}

function compileRegex(source: string, flags: string): Compiled<LinkPattern> {
  if (!REGEX_FLAGS.test(flags)) return { ok: false, problem: `flags "${flags}": only i, m, s and u are allowed` };
  let regex: RegExp;
  try {
    // No flags written: case-insensitive, like the other patterns.
    regex = new RegExp(source, flags === '' ? 'i' : flags);
  } catch (error) {
    return { ok: false, problem: `not a valid regular expression: ${(error as Error).message}` };
  }
  // A star-height check: a quantified group holding a quantifier ((a+)+, (\w*)*) can take exponential time on a near miss.
  if (!safeRegex(regex, { limit: REPETITION_LIMIT })) {
    return {
      ok: false,
      problem: `refused: it could backtrack catastrophically and hang the service (a quantifier inside a repeated group, like (a+)+, or more than ${REPETITION_LIMIT} repetitions); rewrite it without the nesting`,
    };
  }
  return { ok: true, value: { kind: 'regex', test: (value) => boundedTest(regex, value) } };
}

// What the star-height check lets through (overlapping alternatives like (a|a)*) still cannot hang the
// process: matching runs in a script with a time limit, which V8 interrupts even inside a regex.
const sandbox = createContext({ regex: /(?:)/, value: '' });
const runTest = new Script('regex.test(value)');

function boundedTest(regex: RegExp, value: string): boolean {
  sandbox.regex = regex;
  sandbox.value = value;
  try {
    return runTest.runInContext(sandbox, { timeout: REGEX_TIME_LIMIT_MS }) === true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new RegexTimeoutError(`the regular expression ran past ${REGEX_TIME_LIMIT_MS} ms`);
    }
    throw error;
  }
}

/** `*` any run of characters, `?` one; the whole value. Greedy with one backtrack point: linear in practice, never exponential. */
function globMatches(glob: string, value: string): boolean {
  let g = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (g < glob.length && (glob[g] === '?' || glob[g] === value[v])) {
      g += 1;
      v += 1;
    } else if (g < glob.length && glob[g] === '*') {
      star = g;
      resume = v;
      g += 1;
    } else if (star >= 0) {
      g = star + 1;
      resume += 1;
      v = resume;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g += 1;
  return g === glob.length;
}

/** Bytes, from a number of bytes or a text like `700 MB`, `4 GiB`. */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const [, amount = '0', unit = 'B'] = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(size) ?? [];
  return Math.round(Number(amount) * (SIZE_UNITS[unit.toUpperCase()] ?? Number.NaN));
}

const ACTIONS = ['category', 'tags', 'save_path', 'paused'] as const;

/** What is wrong with the clipboard rules beyond the schema, each problem naming its field. */
export function clipboardRuleProblems(config: Config): string[] {
  const rules: readonly ClipboardRuleConfig[] = config.clipboard?.rules ?? [];
  const problems: string[] = [];
  const names = new Set<string>();
  rules.forEach((rule, index) => {
    const field = `clipboard.rules.${index}`;
    if (names.has(rule.name)) problems.push(`${field}.name: "${rule.name}" is used by an earlier rule; names must be unique`);
    names.add(rule.name);
    for (const key of ['name', 'url'] as const) {
      const pattern = rule.match?.[key];
      if (pattern === undefined) continue;
      const compiled = compilePattern(pattern);
      if (!compiled.ok) problems.push(`${field}.match.${key}: ${compiled.problem}`);
    }
    const { min, max } = rule.match?.size ?? {};
    if (min !== undefined && max !== undefined && parseSize(min) > parseSize(max)) {
      problems.push(`${field}.match.size: min is above max`);
    }
    if (rule.skip && ACTIONS.some((action) => rule[action] !== undefined)) {
      problems.push(
        `${field}.skip: a skipped link is not added, so ${ACTIONS.filter((a) => rule[a] !== undefined).join(', ')} would never apply`,
      );
    }
  });
  return problems;
}
