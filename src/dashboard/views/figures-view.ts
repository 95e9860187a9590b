/** The current figures beside each chart: CPU with each core, the load average and the process count, memory and disk with their sizes, network rates. */
import { byId, h, setText } from '../dom.js';
import { bytes, bytesPerSecond, count, percent } from '../format.js';
import { t } from '../i18n.js';
import type { DashboardStore } from '../store.js';

function share(used: number | undefined, total: number | undefined): string {
  return used === undefined || total === undefined ? '' : t().share(bytes(used), bytes(total));
}

export class FiguresView {
  readonly #store: DashboardStore;
  readonly #cpu = byId('cpu-value');
  readonly #cores = byId('cpu-cores');
  readonly #load = byId('load-average');
  readonly #processes = byId('process-count');
  readonly #memory = byId('memory-value');
  readonly #memoryDetail = byId('memory-detail');
  readonly #disk = byId('disk-value');
  readonly #diskDetail = byId('disk-detail');
  readonly #sent = byId('network-sent');
  readonly #received = byId('network-recv');
  /** One bar per core, kept and updated in place. */
  readonly #bars: Array<{ item: HTMLElement; bar: HTMLElement; shows: string }> = [];

  constructor(store: DashboardStore) {
    this.#store = store;
  }

  render(): void {
    const { latest, history } = this.#store;
    const sample = latest?.sample;
    setText(this.#cpu, percent(sample?.cpu_percent));
    setText(this.#processes, count(sample?.process_count));
    setText(this.#memory, percent(sample?.memory_percent));
    setText(this.#disk, percent(sample?.disk_usage_percent));
    // The extras beside the API document's five figures, when the server sends them.
    this.#renderCores(sample?.cpu_per_core ?? []);
    setText(this.#load, sample?.load_average ? sample.load_average.map((load) => load.toFixed(2)).join(' · ') : '–');
    setText(this.#memoryDetail, share(sample?.memory_used_bytes, sample?.memory_total_bytes));
    setText(this.#diskDetail, share(sample?.disk_used_bytes, sample?.disk_total_bytes));
    // The server measures rates between its own readings; without them, the rate between the last two samples here.
    setText(this.#sent, bytesPerSecond(sample?.network_io?.send_rate ?? history.sendRate.at(-1)));
    setText(this.#received, bytesPerSecond(sample?.network_io?.recv_rate ?? history.recvRate.at(-1)));
  }

  #renderCores(cores: readonly number[]): void {
    while (this.#bars.length > cores.length) this.#bars.pop()?.item.remove();
    while (this.#bars.length < cores.length) {
      const bar = h('span', { class: 'core__bar' });
      const item = h('li', { class: 'core' }, bar);
      this.#cores.append(item);
      this.#bars.push({ item, bar, shows: '' });
    }
    cores.forEach((busy, index) => {
      const shown = this.#bars[index]!;
      const text = t().core(index + 1, percent(busy));
      if (shown.shows === text) return;
      shown.shows = text;
      shown.item.title = text;
      shown.item.setAttribute('aria-label', text);
      // A style property set from script, which the page's CSP allows (it refuses style attributes in markup).
      shown.bar.style.transform = `scaleY(${Math.min(100, Math.max(0, busy)) / 100})`;
    });
    this.#cores.hidden = cores.length === 0;
  }
}
