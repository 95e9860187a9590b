/** qBittorrent's download (first line) and upload speed over the last minutes, drawn with uPlot, sized to its box and coloured from the theme. */
import uPlot from 'uplot';
import { TIME_STEPS, timeLabel } from '../charts.js';
import { bytesPerSecond } from '../format.js';
import type { TransferHistory } from '../transfer-history.js';

const HEIGHT = 140;

export class TransferChart {
  readonly #element: HTMLElement;
  readonly #history: TransferHistory;
  #plot: uPlot | undefined;

  constructor(element: HTMLElement, history: TransferHistory) {
    this.#element = element;
    this.#history = history;
    this.#build();
    // Canvas colours do not follow CSS: draw again with the other theme's.
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.#build());
    new ResizeObserver(([entry]) => {
      const width = Math.floor(entry?.contentRect.width ?? 0);
      if (this.#plot && width > 0 && width !== this.#plot.width) this.#plot.setSize({ width, height: HEIGHT });
    }).observe(element);
  }

  update(): void {
    this.#plot?.setData(this.#data());
  }

  #data(): uPlot.AlignedData {
    return [this.#history.times, this.#history.down, this.#history.up];
  }

  #build(): void {
    this.#plot?.destroy();
    const style = getComputedStyle(document.documentElement);
    const color = (property: string) => style.getPropertyValue(property).trim();
    const axis = { stroke: color('--chart-axis'), grid: { stroke: color('--chart-grid'), width: 1 }, ticks: { show: false } };
    const line = (property: string) => {
      const stroke = color(property);
      return { stroke, width: 1.5, fill: `${stroke}24`, points: { show: false } };
    };
    this.#plot = new uPlot(
      {
        width: Math.max(this.#element.clientWidth, 200),
        height: HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        // From 0 to at least 1 KB/s, so that an idle qBittorrent is not drawn as noise.
        scales: { x: { time: true }, y: { range: (_plot, _min, max) => [0, Math.max(max ?? 0, 1024) * 1.1] } },
        axes: [
          {
            ...axis,
            size: 30,
            space: 72,
            incrs: TIME_STEPS,
            values: (_plot, splits) => splits.map((seconds) => timeLabel(seconds, splits)),
          },
          { ...axis, size: 76, values: (_plot, splits) => splits.map((value) => bytesPerSecond(value)) },
        ],
        series: [{}, line('--chart-received'), line('--chart-sent')],
      },
      this.#data(),
      this.#element,
    );
  }
}
