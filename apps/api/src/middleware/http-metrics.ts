import type { HttpMetrics, Logger } from '@conveyor/observability';
import type { RequestHandler } from 'express';

/**
 * Times every request by route pattern (never the raw URL, which would explode the label set).
 * A mounted router records its mount path in res.locals.routeBase, since req.baseUrl is reset
 * by the time an error response finishes.
 */
export function httpMetrics(metrics: HttpMetrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const end = metrics.requests.startTimer();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route ? `${String(res.locals.routeBase ?? '')}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
      logger.http('request', {
        method: req.method,
        route,
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}
