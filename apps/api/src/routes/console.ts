import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import express, { type Request, Router } from 'express';
import { HttpError } from '../http-error';

export const CONSOLE_PATH = '/console';
const ASSETS = `${sep}assets${sep}`;
const METHODS = ['GET', 'HEAD'];

/**
 * True when a segment of the path (decoded) could step out of the dist folder or name a
 * file no one meant to serve: '.', '..', or one holding a slash, backslash or NUL once
 * decoded. serve-static refuses '..' too; this answers the same 404 whichever way it is
 * spelled, and before the SPA fallback could answer index.html for it.
 */
function escapes(path: string): boolean {
  return path.split('/').some((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return true;
    }
    return decoded === '.' || decoded === '..' || /[/\\\0]/.test(decoded);
  });
}

const notFound = (req: Request) => new HttpError(404, 'not_found', `No console file ${req.originalUrl.split('?')[0]}`);

/**
 * The console's built files (apps/console/dist, or CONSOLE_DIST), mounted at /console: hashed
 * files under /console/assets/ cached for a year (immutable: a new build has new names), any
 * other existing file revalidated on every use, and index.html (never cached) for every other
 * path, which the single-page app routes itself. A missing asset is a 404, not index.html
 * (a browser would run HTML as a script). 503 until the console is built. Query strings are
 * the app's own: none is refused.
 */
export function consoleRouter(distDir: string): Router {
  const index = join(distDir, 'index.html');
  const files = express.static(distDir, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders: (res, file) => {
      res.setHeader('Cache-Control', file.startsWith(join(distDir, ASSETS)) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const router = Router();
  router.use((req, _res, next) => {
    if (!METHODS.includes(req.method)) {
      throw new HttpError(
        405,
        'method_not_allowed',
        `${req.method} is not allowed on ${CONSOLE_PATH}; the console's files are read with GET, HEAD`,
        undefined,
        {
          Allow: METHODS.join(', '),
        },
      );
    }
    if (escapes(req.path)) throw notFound(req);
    if (!existsSync(index)) {
      throw new HttpError(
        503,
        'console_not_built',
        'The console has not been built on this server: build it (pnpm --filter @conveyor/console build, which npm run setup does) or set CONSOLE_DIST to the folder that holds its index.html',
      );
    }
    next();
  });
  router.use(files);
  router.use((req, res) => {
    if (req.path.startsWith('/assets/')) throw notFound(req);
    res.sendFile(index, { headers: { 'Cache-Control': 'no-cache' } });
  });
  return router;
}
