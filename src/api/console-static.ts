import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

/**
 * Where `vite build` puts the console (web/vite.config.ts). The same relative
 * path reaches it from src/api (tests, tsx) and from dist/api (the build).
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * The Content-Security-Policy of every answer: the console's code and styles
 * come from this origin only, nothing inline (no 'unsafe-inline' for scripts,
 * styles or attributes), no framing. helmet's defaults would allow inline
 * styles and https: fonts, and would upgrade requests to https, which breaks
 * a plain-HTTP dev stack.
 */
export const CONSOLE_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    imgSrc: ["'self'"],
    manifestSrc: ["'self'"],
    objectSrc: ["'none'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'"],
    styleSrcAttr: ["'none'"],
  },
};

/** Paths the API answers itself, never with the console's page (so an unknown one stays a JSON 404). */
const API_PATH = /^\/(v1|assets)(\/|$)|^\/(healthz|readyz|metrics|openapi\.json)\/?$/i;

/**
 * Serves the web console (dist/web): `/assets/*` with a year-long immutable
 * cache (their names carry a content hash), other files and index.html with
 * no-cache (so a new release is picked up at once), and index.html for any
 * other GET outside the API, so the console's own paths survive a reload.
 * Without a build (dist/web/index.html missing) it serves nothing: the API's 404.
 */
export function consoleStatic(options: { dir?: string } = {}): RequestHandler {
  const dir = options.dir ?? CONSOLE_DIR;
  const index = join(dir, 'index.html');
  const router = express.Router();
  router.use('/assets', express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, redirect: false }));
  router.use(express.static(dir, { index: false, redirect: false, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  router.use((req, res, next) => {
    // Looked for on each request: a build that lands after start-up (npm run build beside a running dev stack) is served.
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API_PATH.test(req.path) || !existsSync(index)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index, (err) => err && next(err));
  });
  return router;
}
