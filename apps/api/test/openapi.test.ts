import { TASK_NAMES } from '@conveyor/contracts';
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

describe('the OpenAPI document at /docs', () => {
  let h: Harness;
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };
  beforeAll(async () => {
    h = await startHarness();
    const res = await request(h.app).get('/docs/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => h.close());

  it('is OpenAPI 3.1, readable without a key', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents exactly the routes the API serves under /api/v1', () => {
    const stack = (h.app as unknown as { router: { stack: Layer[] } }).router.stack;
    const v1 = stack.find((layer) => layer.handle?.stack && layer.match('/api/v1/tasks') && !layer.match('/elsewhere'));
    const served = routesOf(v1!.handle!.stack!, '/api/v1').sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(served.length).toBeGreaterThan(20);
    expect(documented).toEqual(served);
  });

  it("describes each catalog task's own payload, and the errors a client can act on", () => {
    for (const name of TASK_NAMES) expect(doc.components.schemas[`Submit_${name}`]?.properties).toHaveProperty('payload');
    expect(JSON.stringify(doc.components.schemas.Submit_test_task)).toMatch(/"message"/);
    const submit = doc.paths['/api/v1/tasks']!.post as { responses: Record<string, unknown> };
    expect(Object.keys(submit.responses).sort()).toEqual(['200', '202', '400', '401', '409', '413', '429', '503']);
  });

  it('serves a page that renders it', async () => {
    const page = await request(h.app).get('/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/swagger-ui/i);
    // Its scripts and styles come from this server, not from the internet.
    const init = await request(h.app).get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('/api/v1/tasks');
    expect((await request(h.app).get('/docs/swagger-ui.css')).status).toBe(200);
  });
});
