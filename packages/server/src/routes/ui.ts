/**
 * The browser viewer at `/`: the static assets built from `ui/` by the package build (shipped in
 * `dist/ui`, nothing fetched from elsewhere). The page itself holds no data, so it is served without a
 * token; it reads the token from the address's fragment (never sent to a server) and sends it as a
 * bearer token with every API request.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Paths of the viewer's own files: public, like `/healthz`. */
export function isViewerPath(path: string): boolean {
  return path === '/' || path === '/index.html' || path.startsWith('/assets/');
}

/** Where the built assets are: `dist/ui` beside the bundle, or (running from source) the package's `dist/ui`. */
export function viewerAssetsDir(): string | undefined {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'ui'), resolve(here, '../../dist/ui')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

/** Serves the viewer; without built assets, `/` says how to build them. */
export async function viewerRoutes(app: FastifyInstance): Promise<void> {
  const root = viewerAssetsDir();
  if (root === undefined) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The viewer is not built: run `pnpm build` in packages/server.'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Files under assets/ carry a content hash in their names: cached for good. index.html is revalidated.
    preCompressed: true,
    cacheControl: false,
    wildcard: false,
    index: ['index.html'],
    setHeaders(res, path) {
      res.setHeader(
        'cache-control',
        path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      res.setHeader(
        'content-security-policy',
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
          "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      );
      res.setHeader('referrer-policy', 'no-referrer');
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
}
