/**
 * A tiny HTTP endpoint on 127.0.0.1 in front of s3rver that fails requests on demand: it answers 503
 * SlowDown (as S3 does when throttling), or forwards the request and then answers 503 anyway (a response lost
 * after the write happened). Everything else is forwarded unchanged.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyAction = 'forward' | 'fail' | 'forward-then-fail';

export interface ProxiedRequest {
  method: string;
  path: string;
  action: ProxyAction;
}

export interface FlakyProxy {
  endpoint: string;
  log: ProxiedRequest[];
  close(): Promise<void>;
}

const SLOW_DOWN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

export async function startFlakyProxy(
  target: string,
  decide: (req: IncomingMessage, index: number) => ProxyAction | Promise<ProxyAction>,
): Promise<FlakyProxy> {
  const upstream = new URL(target);
  const log: ProxiedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const entry: ProxiedRequest = {
      method: req.method ?? '',
      path: decodeURIComponent(req.url ?? ''),
      action: 'forward',
    };
    log.push(entry);
    const action = await decide(req, log.length - 1); // the request body waits, paused, meanwhile
    entry.action = action;
    const fail = () => {
      res.writeHead(503, { 'content-type': 'application/xml', 'x-amz-error-code': 'SlowDown' });
      res.end(SLOW_DOWN);
    };
    if (action === 'fail') {
      req.resume();
      req.on('end', fail);
      return;
    }
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upstreamRes) => {
        if (action === 'forward-then-fail') {
          upstreamRes.resume();
          upstreamRes.on('end', fail);
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forwarded.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
