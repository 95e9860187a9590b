/**
 * The four uPlot charts (CPU, memory, disk, network) over the system history: sized to their boxes,
 * coloured from the current theme, broken where samples are missing, with the values under the pointer
 * in a tip (written in the next frame, like every other DOM write).
 */
import uPlot from 'uplot';
import { h, setText } from './dom.js';
import { bytesPerSecond, clockTime, percent } from './format.js';
import type { SystemHistory } from './system-history.js';

const HEIGHT = 140;
/** Time axis steps, in seconds: whole seconds at least, so that no two ticks read the same. */
export const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

export type ChartName = 'cpu' | 'memory' | 'disk' | 'network';

/** A line: its label (a function, so that it follows the page's language), the CSS custom property holding its colour, and its column. */
interface Line {
  label: () => string;
  color: string;
  column: (history: SystemHistory) => Array<number | null>;
}

interface ChartSpec {
  name: ChartName;
  element: HTMLElement;
  lines: readonly Line[];
  kind: 'percent' | 'rate';
}

export interface ChartTexts {
  cpu: () => string;
  memory: () => string;
  disk: () => string;
  sent: () => string;
  received: () => string;
  /** Shown in the tip over a gap. */
  noSamples: () => string;
}

interface Chart {
  spec: ChartSpec;
  plot: uPlot;
  tip: HTMLElement;
  /** The row under the pointer, or null; written into the tip at the next render. */
  hovered: number | null;
}

export class SystemCharts {
  readonly #history: SystemHistory;
  readonly #specs: ChartSpec[];
  readonly #texts: ChartTexts;
  readonly #hovered: () => void;
  #charts: Chart[] = [];

  /** `hovered` asks for a frame: the pointer moved over a chart. */
  constructor(history: SystemHistory, elements: Record<ChartName, HTMLElement>, texts: ChartTexts, hovered: () => void) {
    this.#history = history;
    this.#texts = texts;
    this.#hovered = hovered;
    const one = (name: Exclude<ChartName, 'network'>, column: Line['column']): ChartSpec => ({
      name,
      element: elements[name],
      kind: 'percent',
      lines: [{ label: texts[name], color: `--chart-${name}`, column }],
    });
    this.#specs = [
      one('cpu', (h) => h.cpu),
      one('memory', (h) => h.memory),
      one('disk', (h) => h.disk),
      {
        name: 'network',
        element: elements.network,
        kind: 'rate',
        lines: [
          { label: texts.sent, color: '--chart-sent', column: (h) => h.sendRate },
          { label: texts.received, color: '--chart-received', column: (h) => h.recvRate },
        ],
      },
    ];
    this.#build();
    // Canvas colours do not follow CSS: draw again with the other theme's.
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.#build());
    const resized = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const chart = this.#charts.find(({ spec }) => spec.element === entry.target);
        const width = Math.floor(entry.contentRect.width);
        if (chart && width > 0 && width !== chart.plot.width) chart.plot.setSize({ width, height: HEIGHT });
      }
    });
    for (const spec of this.#specs) resized.observe(spec.element);
  }

  /** Draws the history as it is now. */
  update(): void {
    for (const { spec, plot } of this.#charts) plot.setData(this.#dataOf(spec));
    this.renderTips();
  }

  /** Writes each chart's tip: the time and values of the row under the pointer, hidden when there is none. */
  renderTips(): void {
    for (const chart of this.#charts) {
      const { tip, hovered, plot, spec } = chart;
      tip.classList.toggle('chart__tip--gap', hovered !== null && this.#history.isGap(hovered));
      const time = hovered === null ? undefined : this.#history.times[hovered];
      tip.hidden = time === undefined;
      if (time === undefined || hovered === null) continue;
      const values = spec.lines.map((line) => line.column(this.#history)[hovered] ?? null);
      const rows =
        values.every((value) => value === null) && this.#history.isGap(hovered)
          ? [this.#texts.noSamples()]
          : spec.lines.map((line, index) => `${line.label()} ${format(spec.kind, values[index] ?? null)}`);
      setText(tip, `${clockTime(time * 1000)}\n${rows.join('\n')}`);
      // Beside the pointer, on whichever side leaves it room.
      const left = plot.valToPos(time, 'x');
      tip.style.left = `${left}px`;
      tip.classList.toggle('chart__tip--left', left > plot.bbox.width / uPlot.pxRatio / 2);
    }
  }

  /** After a change of language: labels are read again when the charts are rebuilt. */
  relabel(): void {
    this.#build();
  }

  #dataOf(spec: ChartSpec): uPlot.AlignedData {
    return [this.#history.times, ...spec.lines.map((line) => line.column(this.#history))];
  }

  #build(): void {
    for (const { plot } of this.#charts) plot.destroy();
    const style = getComputedStyle(document.documentElement);
    const color = (property: string) => style.getPropertyValue(property).trim();
    this.#charts = this.#specs.map((spec) => {
      const tip = h('div', { class: 'chart__tip', 'aria-hidden': 'true', hidden: true });
      const hover = { hovered: null as number | null };
      const plot = new uPlot(this.#options(spec, color, hover), this.#dataOf(spec), spec.element);
      plot.over.append(tip);
      return Object.assign(hover, { spec, plot, tip });
    });
  }

  /** `hover` is where the setCursor hook keeps the row under the pointer. */
  #options(spec: ChartSpec, color: (property: string) => string, hover: { hovered: number | null }): uPlot.Options {
    const axis = { stroke: color('--chart-axis'), grid: { stroke: color('--chart-grid'), width: 1 }, ticks: { show: false } };
    const percentScale = spec.kind === 'percent';
    return {
      width: Math.max(spec.element.clientWidth, 200),
      height: HEIGHT,
      legend: { show: false },
      cursor: { x: true, y: false, drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
      hooks: {
        setCursor: [
          (plot) => {
            const index = plot.cursor.idx ?? null;
            if (index === hover.hovered) return;
            hover.hovered = index;
            this.#hovered();
          },
        ],
      },
      scales: {
        x: { time: true },
        // Percentages on a fixed 0-100 scale; rates from 0 to at least 1 KB/s, so that an idle link is not drawn as noise.
        y: { range: percentScale ? [0, 100] : (_plot, _min, max) => [0, Math.max(max ?? 0, 1024) * 1.1] },
      },
      axes: [
        { ...axis, size: 30, space: 72, incrs: TIME_STEPS, values: (_plot, splits) => splits.map((seconds) => timeLabel(seconds, splits)) },
        {
          ...axis,
          size: percentScale ? 44 : 76,
          values: (_plot, splits) => splits.map((value) => (percentScale ? `${value}%` : bytesPerSecond(value))),
        },
      ],
      series: [
        {},
        ...spec.lines.map(({ label, color: property }) => {
          const stroke = color(property);
          return { label: label(), stroke, width: 1.5, fill: `${stroke}24`, points: { show: false } };
        }),
      ],
    };
  }
}

function format(kind: ChartSpec['kind'], value: number | null): string {
  return kind === 'percent' ? percent(value) : bytesPerSecond(value);
}

/** "14:05", or "14:05:30" when the axis spans under two minutes. */
export function timeLabel(seconds: number, splits: readonly number[]): string {
  const span = (splits.at(-1) ?? 0) - (splits[0] ?? 0);
  const date = new Date(seconds * 1000);
  const parts = [date.getHours(), date.getMinutes(), ...(span < 120 ? [date.getSeconds()] : [])];
  return parts.map((part) => String(part).padStart(2, '0')).join(':');
}
