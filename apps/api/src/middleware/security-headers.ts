import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * The same headers as a middleware that always sets the same ones (helmet's, with fixed
 * directives), found by running it once: on every request they are set in one loop instead
 * of through its chain of a dozen middleware.
 */
function fixedHeaders(middleware: RequestHandler): RequestHandler {
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => set.push([name, value]),
    removeHeader: (name: string) => removed.push(name),
  };
  let finished = false;
  void middleware({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('the security headers middleware did not finish at once: its headers are not fixed');
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    next();
  };
}

/**
 * Security headers on every answer (helmet): nosniff, no framing, a same-origin referrer
 * (the dead-letter page's replay form relies on the browser sending its Origin, which a
 * no-referrer policy would blank), and a Content-Security-Policy. JSON answers load nothing,
 * so their policy allows nothing. HSTS is left to whatever terminates TLS in front of the API.
 */
export const securityHeaders: RequestHandler = fixedHeaders(
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: false,
  }),
);

/**
 * The Content-Security-Policy of the HTML pages (API docs, queue dashboard, dead letters, the
 * console; its charting library sets inline styles):
 * scripts and styles from this server only (inline styles allowed, inline scripts not), forms
 * post only here, and no page may be framed.
 */
export const pageSecurityPolicy: RequestHandler = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
  },
});
