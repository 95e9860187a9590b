/** Alternated rounds, medians, and the Markdown tables the benchmarks print. */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Runs every setup once per round, round by round, so that drift on a shared machine hits them alike. */
export async function roundRobin<T>(setups: Array<{ name: string; run: () => Promise<T> }>, rounds: number): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(setups.map(({ name }) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const { name, run } of setups) results.get(name)!.push(await run());
  }
  return results;
}

/**
 * A column: its heading, the figure it shows from one run (the median over the rounds is printed), and its digits.
 * `ratio` prints instead the median over the rounds of the figure's ratio to the baseline's in the same round.
 */
export interface Column<T> {
  heading: string;
  value: (run: T) => number;
  digits?: number;
  ratio?: boolean;
}

export function printHeader<T>(lead: string[], columns: Column<T>[]): void {
  const headings = [...lead, ...columns.map((c) => c.heading)];
  console.log(`| ${headings.join(' | ')} |`);
  console.log(`| ${headings.map((_, i) => (i < lead.length ? '---' : '---:')).join(' | ')} |`);
}

/** One row per setup, medians over its rounds; ratio columns against the `baseline` setup's run of the same round. */
export function printRows<T>(lead: string[], results: Map<string, T[]>, baseline: string, columns: Column<T>[]): void {
  const base = results.get(baseline)!;
  for (const [name, runs] of results) {
    const cells = columns.map((column) =>
      column.ratio
        ? `**${median(runs.map((run, i) => column.value(run) / column.value(base[i]!))).toFixed(column.digits ?? 2)}**`
        : fmt(median(runs.map(column.value)), column.digits),
    );
    console.log(`| ${[...lead, name, ...cells].join(' | ')} |`);
  }
}
