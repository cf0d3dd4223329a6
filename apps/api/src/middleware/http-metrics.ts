import type { HttpMetrics, Logger } from '@conveyor/observability';
import type { RequestHandler } from 'express';

/**
 * Times every request by route pattern (never the raw URL, which would explode the label set).
 * A mounted router records its mount path in res.locals.routeBase, since req.baseUrl is reset
 * by the time an error response finishes.
 */
export function httpMetrics(metrics: HttpMetrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route ? `${String(res.locals.routeBase ?? '')}${String(req.route.path)}` : 'unmatched';
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      metrics.requests.observe({ method: req.method, route, status: String(res.statusCode) }, ms / 1000);
      // Below the logger's level (info, by default) the line is not even built.
      if (logger.isLevelEnabled('http')) logger.http('request', { method: req.method, route, status: res.statusCode, ms });
    });
    next();
  };
}
