import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers on every answer (helmet): nosniff, no framing, a same-origin referrer
 * (the dead-letter page's replay form relies on the browser sending its Origin, which a
 * no-referrer policy would blank), and a Content-Security-Policy. JSON answers load nothing,
 * so their policy allows nothing. HSTS is left to whatever terminates TLS in front of the API.
 */
export const securityHeaders: RequestHandler = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'same-origin' },
  strictTransportSecurity: false,
});

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
