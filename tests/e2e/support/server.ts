import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { type E2eFixtures, LIST_NAMES, type ListName, PORT } from './config';
import { excerpt } from './memos';

/**
 * The test list server and page host, on 127.0.0.1:PORT. Like a static host it sends no CORS
 * headers. What /list.lwl serves is switched by the tests:
 *   POST /__control?serve=v2     serve another list (names in config.ts)
 *   POST /__control?reset=1      back to v1, request counters to zero
 *   GET  /__control              {serve, requests, hold, held}
 *   POST /__control?hold=N       answer /list.lwl with its first N bytes, then keep the body open
 *                                until POST /__control?release=1 (hold=off: whole bodies again)
 *   GET  /__log                  every request received since the last reset: method, URL, headers, body
 * Pages are templates in tests/e2e/pages: {{memo:N:A-B}} is words A..B-1 of a test memo,
 * {{demo:NAME:A-B}} words A..B-1 of defaults/demo-documents/NAME.txt.
 */

export interface ServerState {
  serve: ListName;
  requests: { list: number; other: number; pages: number };
  /** Bytes of /list.lwl sent before the body is held open; null: whole bodies. */
  hold: number | null;
  /** The last held response: how far it got, and whether the client went away before the end. */
  held: HeldResponse | null;
}

export interface HeldResponse {
  path: string;
  sent: number;
  total: number;
  state: 'holding' | 'released' | 'dropped by the client';
}

export interface LoggedRequest {
  time: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** The request body as latin1 text ('' for none). */
  body: string;
}

export function renderTemplate(root: string, html: string): string {
  return html
    .replace(/\{\{memo:(\d+):(\d+)-(\d+)\}\}/g, (_, m, a, b) => excerpt(Number(m), Number(a), Number(b)))
    .replace(/\{\{demo:([\w-]+):(\d+)-(\d+)\}\}/g, (_, name, a, b) =>
      fs
        .readFileSync(path.join(root, 'defaults', 'demo-documents', `${name}.txt`), 'utf8')
        .split(/\s+/)
        .filter(Boolean)
        .slice(Number(a), Number(b))
        .join(' '),
    );
}

export function startServer(root: string, fixtures: E2eFixtures): Promise<http.Server> {
  const pagesDir = path.join(root, 'tests', 'e2e', 'pages');
  const state: ServerState = {
    serve: 'v1',
    requests: { list: 0, other: 0, pages: 0 },
    hold: null,
    held: null,
  };
  const log: LoggedRequest[] = [];
  let release: (() => void) | null = null;
  const holdList = (res: http.ServerResponse, pathname: string, file: string, at: number) => {
    const bytes = fs.readFileSync(file);
    const sent = Math.min(at, bytes.length - 1);
    const held: HeldResponse = { path: pathname, sent, total: bytes.length, state: 'holding' };
    state.held = held;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'cache-control': 'no-store',
      'content-length': String(bytes.length),
    });
    res.write(bytes.subarray(0, sent));
    res.on('close', () => {
      if (held.state === 'holding') held.state = 'dropped by the client';
    });
    release = () => {
      held.state = 'released';
      res.end(bytes.subarray(sent));
    };
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const sendList = (res: http.ServerResponse, file: string) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(fs.readFileSync(file));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${PORT}`);
    const logged: LoggedRequest = {
      time: Date.now(),
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: '',
    };
    log.push(logged);
    req.on('data', (chunk: Buffer) => {
      logged.body += chunk.toString('latin1');
    });
    try {
      if (url.pathname === '/__log') {
        json(res, 200, { requests: log });
        return;
      }
      if (url.pathname === '/__control') {
        if (req.method === 'POST') {
          if (url.searchParams.has('reset')) {
            state.serve = 'v1';
            state.requests = { list: 0, other: 0, pages: 0 };
            state.hold = null;
            state.held = null;
            release = null;
            log.length = 0;
          }
          const hold = url.searchParams.get('hold');
          if (hold !== null) {
            if (hold !== 'off' && !/^\d+$/.test(hold)) {
              json(res, 400, { error: `hold must be a byte count or off, not ${hold}` });
              return;
            }
            state.hold = hold === 'off' ? null : Number(hold);
          }
          if (url.searchParams.has('release')) {
            release?.();
            release = null;
          }
          const serve = url.searchParams.get('serve');
          if (serve !== null) {
            if (!(LIST_NAMES as readonly string[]).includes(serve)) {
              json(res, 400, { error: `unknown list ${serve}` });
              return;
            }
            state.serve = serve as ListName;
          }
        }
        json(res, 200, state);
        return;
      }
      if (url.pathname === '/list.lwl') {
        state.requests.list++;
        if (state.hold !== null) holdList(res, url.pathname, fixtures.lists[state.serve].file, state.hold);
        else sendList(res, fixtures.lists[state.serve].file);
        return;
      }
      if (url.pathname === '/other.lwl') {
        state.requests.other++;
        sendList(res, fixtures.other.file);
        return;
      }
      const page = /^\/pages\/([\w-]+\.html)$/.exec(url.pathname);
      if (page && fs.existsSync(path.join(pagesDir, page[1]!))) {
        state.requests.pages++;
        const html = renderTemplate(root, fs.readFileSync(path.join(pagesDir, page[1]!), 'utf8'));
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(html);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `port ${PORT} on 127.0.0.1 is busy: the end-to-end tests need it (the configured build has ` +
              `http://127.0.0.1:${PORT}/list.lwl built in). Stop whatever listens there ` +
              `(e.g. 'ss -ltnp | grep ${PORT}') and run again.`,
          ),
        );
      } else reject(err);
    });
    server.listen(PORT, '127.0.0.1', () => resolve(server));
  });
}
