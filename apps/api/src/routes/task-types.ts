import { TASK_CATALOG, TASK_NAMES, type TaskPolicies } from '@conveyor/contracts';
import { Router } from 'express';
import { z } from 'zod';

/** JSON Schema of a task's payload or result, as a client validates against it. */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { unrepresentable: 'any', io });

/**
 * GET /task-types: every task this deployment offers, with its queue, the JSON Schemas of its
 * payload and result, and the policy it runs with here (the catalog's defaults with this
 * deployment's TASK_OVERRIDES). Built once: neither changes while the process runs.
 */
export function taskTypesRouter(policies: TaskPolicies): Router {
  const body = {
    task_types: TASK_NAMES.map((name) => {
      const definition = TASK_CATALOG[name];
      const policy = policies.get(name);
      return {
        name,
        queue: definition.queue,
        description: definition.description,
        payload_schema: jsonSchema(definition.payload, 'input'),
        result_schema: jsonSchema(definition.result, 'output'),
        policy: {
          attempts: policy.attempts,
          max_lost_attempts: policy.maxLostAttempts,
          backoff: { base_ms: policy.backoff.baseMs, max_ms: policy.backoff.maxMs },
          soft_timeout_ms: policy.softTimeoutMs,
          hard_timeout_ms: policy.hardTimeoutMs,
          retention_ms: policy.retentionMs,
        },
      };
    }),
  };
  return Router().get('/task-types', (_req, res) => {
    res.json(body);
  });
}
