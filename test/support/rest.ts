/** REST calls to a test server: JSON in and out, with a key. */
import { ADMIN_KEY, type TestServer } from './server.js';

export interface RestResponse {
  status: number;
  body: any;
  headers: Headers;
}

export async function rest(
  server: Pick<TestServer, 'url'>,
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown } = {},
): Promise<RestResponse> {
  const key = options.key === undefined ? ADMIN_KEY : options.key;
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, body, headers: response.headers };
}

/** POSTs one custom metric or a batch, expecting it accepted. */
export async function postMetrics(server: Pick<TestServer, 'url'>, metrics: object | object[]): Promise<void> {
  const response = await rest(server, 'POST', '/api/v1/metrics', { body: metrics });
  if (response.status !== 202) throw new Error(`metrics refused: ${response.status} ${JSON.stringify(response.body)}`);
}
