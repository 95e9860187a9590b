/**
 * A stand-in for a qBittorrent version that cannot run here (Debian ships 4.5; 5.x renamed states and
 * endpoints): an HTTP server on loopback answering the WebUI API as documented, replaying recorded
 * `sync/maindata` answers in order and recording the torrent actions it is asked for. Tests of the real
 * 4.5 use qbittorrent-nox itself (see swarm.ts).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinOptions {
  /** `app/version`, e.g. `v5.0.4`. */
  version: string;
  /** `app/webapiVersion`, e.g. `2.11.2`. */
  webApiVersion: string;
  /** The maindata answers, served in order: the request acknowledging rid N gets answer N (with rid N+1). */
  maindata: ReadonlyArray<Record<string, unknown>>;
}

export interface Standin {
  url: string;
  /** `torrents/<action>` calls received, in order, with their form fields. */
  readonly actions: Array<{ action: string; form: Record<string, string> }>;
  /** How many maindata answers from the recording were served. */
  readonly served: number;
  stop(): Promise<void>;
}

export async function startQbittorrentStandin(options: StandinOptions): Promise<Standin> {
  const actions: Standin['actions'] = [];
  let served = 0;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const path = url.pathname.replace('/api/v2/', '');
      const send = (status: number, text: string, headers: Record<string, string> = {}) => {
        response.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
        response.end(text);
      };
      if (path === 'auth/login') return send(200, 'Ok.', { 'Set-Cookie': 'SID=standin; HttpOnly; path=/' });
      if (request.headers.cookie !== 'SID=standin') return send(403, 'Forbidden');
      if (path === 'app/version') return send(200, options.version);
      if (path === 'app/webapiVersion') return send(200, options.webApiVersion);
      if (path === 'sync/maindata') {
        const rid = Number(url.searchParams.get('rid') ?? 0);
        const answer = options.maindata[rid];
        if (answer) served = Math.max(served, rid + 1);
        return send(200, JSON.stringify({ ...(answer ?? {}), rid: rid + 1 }), { 'Content-Type': 'application/json' });
      }
      if (path.startsWith('torrents/') && request.method === 'POST') {
        actions.push({ action: path.slice('torrents/'.length), form: Object.fromEntries(new URLSearchParams(body)) });
        return send(200, '');
      }
      return send(404, 'Not Found');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    actions,
    get served() {
      return served;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
