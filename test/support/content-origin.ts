import http from 'node:http';
import type { TestServer } from './server';

export interface ContentAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in the assertions
  json(): any;
}

/**
 * A request to the content origin (content.localhost, which browsers resolve
 * to this machine and Node does not): sent to the server with that Host.
 */
export function contentRequest(
  server: TestServer,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<ContentAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: new URL(server.url).port,
        path: u.pathname + u.search,
        method: init.method ?? 'GET',
        headers: { host: u.host, ...init.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
