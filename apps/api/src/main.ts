import { apiEnvSchema } from '@conveyor/config';
import { runService } from '@conveyor/service';
import { createApiParts } from './api-parts';
import { listen } from './listen';

// The API serves /healthz /readyz /metrics from its own Express app (routes/health.ts), so it
// takes runService's shared parts but no health server.
runService({
  service: 'api',
  schema: apiEnvSchema,
  redis: 'producer',
  start: async (context) => {
    const { env, logger, releasers } = context;
    const { app, hub } = createApiParts(context);
    const server = await listen(app, env.API_PORT, env.HOST);
    releasers.add('http server', async () => {
      // Open event streams would hold close() forever; they end here and clients reconnect elsewhere.
      hub.endAllStreams();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    });
    logger.info('api listening', { url: `http://${env.HOST}:${env.API_PORT}`, prefix: env.BULLMQ_PREFIX });
  },
});
