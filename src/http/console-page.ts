import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where the support console is served: public static files; only its API calls carry a key. */
export const CONSOLE_PATH = '/console';

/**
 * The console's files sit beside the compiled code (`src/console/`, copied to `dist/src/console/` by the
 * build), so `npm start` and `npm run start:prod` serve the same page.
 */
const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

/** graphql-ws's browser build, from the installed package: the page needs no CDN. */
function graphqlWsBrowserBuild(): string {
  // The package exports no path to its umd folder; walk up from its CommonJS entry (dist/index.cjs).
  const entry = createRequire(import.meta.url).resolve('graphql-ws');
  return join(dirname(dirname(entry)), 'umd', 'graphql-ws.min.js');
}

const TYPES = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
} as const;

interface Asset {
  file: string;
  type: (typeof TYPES)[keyof typeof TYPES];
}

/** Every file the console may serve, by URL path: a fixed list, so no request path ever reaches the disk. */
const ASSETS: ReadonlyMap<string, Asset> = new Map<string, Asset>([
  [CONSOLE_PATH, { file: join(CONSOLE_DIR, 'index.html'), type: TYPES.html }],
  [`${CONSOLE_PATH}/`, { file: join(CONSOLE_DIR, 'index.html'), type: TYPES.html }],
  [`${CONSOLE_PATH}/console.css`, { file: join(CONSOLE_DIR, 'console.css'), type: TYPES.css }],
  [`${CONSOLE_PATH}/app.js`, { file: join(CONSOLE_DIR, 'app.js'), type: TYPES.js }],
  [`${CONSOLE_PATH}/api.js`, { file: join(CONSOLE_DIR, 'api.js'), type: TYPES.js }],
  [`${CONSOLE_PATH}/live.js`, { file: join(CONSOLE_DIR, 'live.js'), type: TYPES.js }],
  [`${CONSOLE_PATH}/reply-status.js`, { file: join(CONSOLE_DIR, 'reply-status.js'), type: TYPES.js }],
  [`${CONSOLE_PATH}/documents.js`, { file: join(CONSOLE_DIR, 'documents.js'), type: TYPES.js }],
  [`${CONSOLE_PATH}/vendor/graphql-ws.js`, { file: graphqlWsBrowserBuild(), type: TYPES.js }],
]);

/**
 * Nothing but this server: scripts, styles and the API (WebSocket included: CSP 3 lets 'self' match ws: on
 * the same host). No framing (the key is typed here), no inline script.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // The page is small and changes with each release; revalidating it is cheaper than a stale console.
  'cache-control': 'no-cache',
};

export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

/** Answers a request under /console: one of the known files, else 404; GET and HEAD only. */
export async function serveConsole(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const asset = ASSETS.get(path);
  if (!asset) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('Not found');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed');
    return;
  }
  const body = await readFile(asset.file);
  res.writeHead(200, { 'content-type': asset.type, 'content-length': body.length, ...SECURITY_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : body);
}
