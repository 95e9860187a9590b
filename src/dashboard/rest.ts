/** The REST API beside the page, with the signed-in key: JSON in and out, and the server's error message when it refuses. */

export class RestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Rest = <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => Promise<T>;

/** Calls under `api/v1/` beside the page (so that a reverse proxy's prefix is kept); resolves with the JSON answer (undefined for 204). */
export function restClient(apiKey: string): Rest {
  return async <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(`api/v1/${path}`, location.href), {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      cache: 'no-store',
    });
    if (response.status === 204) return undefined as T;
    const answer: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const message = (answer as { error?: { message?: unknown } } | undefined)?.error?.message;
      throw new RestError(response.status, typeof message === 'string' ? message : `HTTP ${response.status}`);
    }
    return answer as T;
  };
}
