import { INGESTION_RUN_STATUSES, POST_STATUSES, TASK_NAMES, TASK_STATUSES } from '@conveyor/contracts';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; match: (path: string) => boolean };

/** "METHOD /path" of every route in an Express router, nested routers included. */
function routesOf(stack: Layer[], prefix: string): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${prefix}${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`);
    return layer.handle?.stack ? routesOf(layer.handle.stack, prefix) : [];
  });
}

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
};
type Response = { content?: Record<string, { schema: Schema }>; headers?: Record<string, { required?: boolean }> };
type Operation = {
  operationId?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, Response>;
};
type Document = {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, object> };
};

describe('the OpenAPI document at /docs', () => {
  let h: Harness;
  let doc: Document;
  let operations: { name: string; op: Operation }[];
  beforeAll(async () => {
    h = await startHarness();
    const res = await request(h.app).get('/docs/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
    operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ name: `${method} ${path}`, op })));
  });
  afterAll(() => h.close());

  const resolve = (schema: Schema): Schema => (schema.$ref ? doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]! : schema);

  /** Every object schema reachable from `schema`, through references (each component once). */
  function objects(schema: Schema, seen = new Set<Schema>()): Schema[] {
    const s = resolve(schema);
    if (seen.has(s)) return [];
    seen.add(s);
    const nested = [...Object.values(s.properties ?? {}), ...(s.items ? [s.items] : []), ...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])];
    return [...(s.properties ? [s] : []), ...nested.flatMap((n) => objects(n, seen))];
  }
  const bodies = () => operations.flatMap(({ op }) => Object.values(op.requestBody?.content ?? {}).map((c) => c.schema));
  const answers = () =>
    operations.flatMap(({ op }) =>
      Object.entries(op.responses).flatMap(([code, r]) => (code.startsWith('2') ? Object.values(r.content ?? {}).map((c) => c.schema) : [])),
    );

  it('is OpenAPI 3.1, readable without a key', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('names its server, relative, and lists its paths relative to it', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/api/v1' })]);
    for (const path of Object.keys(doc.paths)) expect(path).not.toMatch(/^\/api\//);
  });

  it('documents exactly the routes the API serves under /api/v1', () => {
    const stack = (h.app as unknown as { router: { stack: Layer[] } }).router.stack;
    const v1 = stack.find((layer) => layer.handle?.stack && layer.match('/api/v1/tasks') && !layer.match('/elsewhere'));
    const served = routesOf(v1!.handle!.stack!, '/api/v1').sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${doc.servers![0]!.url}${path}`))
      .sort();
    expect(served.length).toBeGreaterThan(20);
    expect(documented).toEqual(served);
  });

  it('gives every operation a stable, unique, camelCase operationId', () => {
    const ids = operations.map(({ op }) => op.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/tasks']!.post!.operationId).toBe('submitTask');
  });

  it('offers the task token (?token=) on exactly the three reads a browser makes of one task', () => {
    const withToken = operations.filter(({ op }) => (op.security ?? []).some((s) => 'taskToken' in s)).map(({ op }) => op.operationId);
    expect(withToken.sort()).toEqual(['getTask', 'getTaskResult', 'streamTaskEvents']);
    expect(doc.components.securitySchemes?.taskToken).toMatchObject({ type: 'apiKey', in: 'query', name: 'token' });
  });

  it('lists the errors of every operation as the one Error body, with Retry-After on 429 and 503', () => {
    const error = doc.components.schemas.Error!;
    expect(Object.keys(error.properties!).sort()).toEqual(['error', 'issues', 'message', 'request_id']);
    expect(error.required!.sort()).toEqual(['error', 'message', 'request_id']);
    for (const { name, op } of operations) {
      const codes = Object.keys(op.responses);
      expect({ name, codes: codes.filter((c) => ['400', '401', '429', '503'].includes(c)) }).toEqual({ name, codes: ['400', '401', '429', '503'] });
      for (const code of codes.filter((c) => Number(c) >= 400)) {
        expect({ name, code, schema: op.responses[code]!.content?.['application/json']?.schema }).toEqual({
          name,
          code,
          schema: { $ref: '#/components/schemas/Error' },
        });
      }
      for (const code of ['429', '503'])
        expect({ name, code, header: op.responses[code]!.headers?.['Retry-After']?.required }).toEqual({ name, code, header: true });
    }
    const submit = doc.paths['/tasks']!.post!;
    expect(Object.keys(submit.responses).sort()).toEqual(['200', '202', '400', '401', '403', '409', '413', '415', '429', '503']);
    // Who may call a route: a tenant route refuses admin keys, an admin route tenant keys, and the catalog neither.
    expect(doc.paths['/ingestion/runs']!.get!.responses['403']).toBeDefined();
    expect(doc.paths['/task-types']!.get!.responses['403']).toBeUndefined();
    expect(doc.paths['/tasks/{id}']!.get!.responses['404']).toBeDefined();
  });

  it("describes each catalog task's own payload, told apart by a discriminator on task", () => {
    for (const name of TASK_NAMES) expect(doc.components.schemas[`Submit_${name}`]?.properties).toHaveProperty('payload');
    expect(JSON.stringify(doc.components.schemas.Submit_test_task)).toMatch(/"message"/);
    const single = doc.paths['/tasks']!.post!.requestBody!.content['application/json']!.schema;
    const batchItem = resolve(doc.paths['/tasks/batch']!.post!.requestBody!.content['application/json']!.schema).properties!.tasks!.items!;
    for (const union of [single, batchItem]) {
      expect(union.discriminator?.propertyName).toBe('task');
      expect(Object.keys(union.discriminator!.mapping!).sort()).toEqual([...TASK_NAMES].sort());
      expect(union.oneOf).toHaveLength(TASK_NAMES.length);
      for (const [name, ref] of Object.entries(union.discriminator!.mapping!)) {
        expect(ref).toBe(`#/components/schemas/Submit_${name}`);
        expect(union.oneOf).toContainEqual({ $ref: ref });
        const task = resolve({ $ref: ref }).properties!.task!;
        expect(task.const ?? task.enum).toEqual(task.const === undefined ? [name] : name);
      }
    }
  });

  it('leaves defaulted fields out of required in what a client sends, and states their default in words', () => {
    const sent = bodies().flatMap((body) => objects(body));
    for (const object of sent) {
      for (const [field, schema] of Object.entries(object.properties!)) {
        expect({ field, default: schema.default }).toEqual({ field, default: undefined });
        if (/Default: /.test(schema.description ?? ''))
          expect({ field, required: object.required?.includes(field) ?? false }).toEqual({ field, required: false });
      }
    }
    const draft = resolve({ $ref: '#/components/schemas/Submit_generate_draft' }).properties!.payload!;
    expect(draft.required).toEqual(['brief']);
    expect(draft.properties!.tone!.description).toMatch(/Default: "clear and friendly"/);
    const schedule = resolve(doc.paths['/schedules']!.post!.requestBody!.content['application/json']!.schema);
    for (const field of ['timezone', 'misfire_policy', 'enabled', 'payload']) expect(schedule.required).not.toContain(field);
  });

  it('marks defaulted fields of what the API answers as always there', () => {
    const defaulted = answers()
      .flatMap((answer) => objects(answer))
      .flatMap((object) =>
        Object.entries(object.properties!).flatMap(([field, s]) => (s.default === undefined ? [] : [{ field, required: object.required?.includes(field) }])),
      );
    // A sort step of a dataset version's program: direction defaults to asc.
    expect(defaulted).toContainEqual({ field: 'direction', required: true });
    for (const d of defaulted) expect(d).toEqual({ field: d.field, required: true });
  });

  it('names every closed set of statuses as an enum component and refers to it', () => {
    const { schemas } = doc.components;
    expect(schemas.TaskStatus!.enum).toEqual([...TASK_STATUSES]);
    expect(schemas.PostStatus!.enum).toEqual([...POST_STATUSES]);
    expect(schemas.IngestionRunStatus!.enum).toEqual([...INGESTION_RUN_STATUSES]);
    expect(schemas.TaskView!.properties!.status).toEqual({ $ref: '#/components/schemas/TaskStatus' });
    expect(schemas.Post!.properties!.status).toEqual({ $ref: '#/components/schemas/PostStatus' });
    expect(schemas.Schedule!.properties!.kind).toEqual({ $ref: '#/components/schemas/ScheduleKind' });
    // Wherever an answer has a status, it is one of a closed set.
    const statuses = answers()
      .flatMap((answer) => objects(answer))
      .flatMap((object) => (object.properties!.status ? [resolve(object.properties!.status)] : []));
    expect(statuses.length).toBeGreaterThan(5);
    for (const status of statuses) expect(status.enum ?? [status.const]).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it('serves a page that renders it', async () => {
    const page = await request(h.app).get('/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/swagger-ui/i);
    // Its scripts and styles come from this server, not from the internet.
    const init = await request(h.app).get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('"url": "/api/v1"');
    expect((await request(h.app).get('/docs/swagger-ui.css')).status).toBe(200);
  });
});
