export { Releasers } from './releasers';
export { openRedis, openDb, openProducer, connectionChecks, type RedisKind } from './connections';
export { startService, type ServiceContext, type ServiceOptions, type RunningService } from './start-service';
export { runService, type RunServiceOptions } from './run-service';
export { runWorkerApp, type WorkerAppOptions, type WorkerAppDeps } from './worker-app';
