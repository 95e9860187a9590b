/** The current figures beside each chart: CPU with the process count, memory and disk with their sizes, network rates. */
import { byId, setText } from '../dom.js';
import { bytes, bytesPerSecond, count, percent } from '../format.js';
import type { DashboardStore } from '../store.js';

/** A numeric field `performance.system` carries beside the API document's five (memory_used_bytes...), when the server sends it. */
function extra(sample: object, field: string): number | undefined {
  const value = (sample as Record<string, unknown>)[field];
  return typeof value === 'number' ? value : undefined;
}

function share(used: number | undefined, total: number | undefined): string {
  return used === undefined || total === undefined ? '' : `${bytes(used)} of ${bytes(total)}`;
}

export class FiguresView {
  readonly #store: DashboardStore;
  readonly #cpu = byId('cpu-value');
  readonly #processes = byId('process-count');
  readonly #memory = byId('memory-value');
  readonly #memoryDetail = byId('memory-detail');
  readonly #disk = byId('disk-value');
  readonly #diskDetail = byId('disk-detail');
  readonly #sent = byId('network-sent');
  readonly #received = byId('network-recv');

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
    setText(this.#memoryDetail, sample ? share(extra(sample, 'memory_used_bytes'), extra(sample, 'memory_total_bytes')) : '');
    setText(this.#diskDetail, sample ? share(extra(sample, 'disk_used_bytes'), extra(sample, 'disk_total_bytes')) : '');
    // The server measures rates between its own readings; without them, the rate between the last two samples here.
    const network = sample?.network_io ?? {};
    setText(this.#sent, bytesPerSecond(extra(network, 'send_rate') ?? history.sendRate.at(-1)));
    setText(this.#received, bytesPerSecond(extra(network, 'recv_rate') ?? history.recvRate.at(-1)));
  }
}
