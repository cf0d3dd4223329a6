export { LlmSimulator, DEFAULT_SIM_MODELS, type SimModel, type SimFault, type RecordedRequest } from './llm-simulator';
export { valueFromSchema, type JsonSchema } from './json-from-schema';
export { XSimulator, DEV_X_ACCOUNT, type XAccount, type XSimulatorOptions, type XRecordedRequest } from './x-simulator';
export type { XFault } from './x-faults';
export type { XStoredPost } from './x-posts';
export { listenLoopback } from './loopback-server';
export { GsmSimulator, type GsmRecordedRequest } from './gsm-simulator';
