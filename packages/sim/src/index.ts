export { LlmSimulator, DEFAULT_SIM_MODELS, type SimModel, type SimFault, type RecordedRequest } from './llm-simulator';
export { valueFromSchema, type JsonSchema } from './json-from-schema';
