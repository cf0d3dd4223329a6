import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { APPS, ingestionEnvSchema, parseEnv } from '@conveyor/config';
import { readEnvFile } from './compose-check';
import { k8sProblems } from './k8s-check';
import { containerEnv, secretKeys } from './k8s-pods';
import { type K8sObject, renderKustomization, schemaProblems } from './k8s-render';

// infra/k8s rendered as a cluster would get it (kubectl kustomize, every overlay), validated
// against the Kubernetes and KEDA schemas, and checked against the app registry and each
// app's environment schema; then the same checks shown to fail on a rendering changed by hand.
const root = path.resolve(__dirname, '../../..');
const overlaysDir = path.join(root, 'infra/k8s/overlays');
const overlays = readdirSync(overlaysDir);
const renders = new Map(overlays.map((overlay) => [overlay, renderKustomization(path.join(overlaysDir, overlay))]));
const render = (overlay: string): K8sObject[] => structuredClone(renders.get(overlay)!);

const get = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const container = (objects: K8sObject[], app: string) => get(objects, 'Deployment', app).spec.template.spec.containers.find((c: any) => c.name === app);
const configMap = (objects: K8sObject[], name = 'conveyor-config') => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${name}-`))!;

it('has a development and a production overlay', () => {
  expect(overlays).toEqual(expect.arrayContaining(['dev', 'prod']));
});

describe.each(overlays)('the %s overlay', (overlay) => {
  it('renders objects that all validate against their schemas', () => {
    const objects = render(overlay);
    expect(objects.length).toBeGreaterThan(20);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it('runs every app of the registry with probes, resources, its variables and its scaler, and holds no secret', () => {
    expect(k8sProblems(render(overlay), root)).toEqual([]);
  });
});

it('puts each overlay in its own namespace, with its own images and host', () => {
  const summary = (objects: K8sObject[]) => ({
    namespaces: [...new Set(objects.map((o) => o.metadata.namespace ?? (o.kind === 'Namespace' ? o.metadata.name : undefined)))],
    api: container(objects, 'api').image,
    host: get(objects, 'Ingress', 'api').spec.rules[0].host,
  });
  expect(summary(render('dev'))).toEqual({ namespaces: ['conveyor-dev'], api: 'conveyor/api:dev', host: 'conveyor.dev.example.com' });
  expect(summary(render('prod'))).toEqual({ namespaces: ['conveyor'], api: 'registry.example.com/conveyor/api:1.0.0', host: 'conveyor.example.com' });
});

it('lists in secrets.env.example, without values, every key the manifests take from a Secret', () => {
  const example = readEnvFile(readFileSync(path.join(root, 'infra/k8s/secrets.env.example'), 'utf8'));
  const referenced = [...new Set(overlays.flatMap((overlay) => secretKeys(render(overlay))))].sort();
  expect(referenced).toEqual([
    'conveyor-secrets/COMTRADE_SUBSCRIPTION_KEY',
    'conveyor-secrets/DATABASE_URL',
    'conveyor-secrets/FRED_API_KEY',
    'conveyor-secrets/OPENROUTER_API_KEY',
    'conveyor-secrets/X_TOKEN_MAIN',
  ]);
  expect(example).toEqual(Object.fromEntries(referenced.map((ref) => [ref.split('/')[1], ''])));
});

it('gives the publishing worker alone its X settings: a dry run in the dev overlay, posts out on X in prod, the account token from the Secret', () => {
  const publishing = (overlay: string) => {
    const objects = render(overlay);
    return containerEnv(container(objects, 'worker-publishing'), objects, 'worker-publishing', []);
  };
  expect(publishing('dev')).toMatchObject({ X_API_BASE_URL: 'https://api.x.com', X_DRY_RUN: 'true', X_TOKEN_MAIN: 'from-secret:X_TOKEN_MAIN' });
  expect(publishing('prod')).toMatchObject({ X_DRY_RUN: 'false', X_METRICS_STAGES: '15m,1h,24h,7d' });
  const token = container(render('prod'), 'worker-publishing').env.find((v: any) => v.name === 'X_TOKEN_MAIN');
  // Optional: a Secret made without X (or before it) still starts the worker.
  expect(token.valueFrom.secretKeyRef).toEqual({ name: 'conveyor-secrets', key: 'X_TOKEN_MAIN', optional: true });
  const objects = render('prod');
  expect(containerEnv(container(objects, 'worker-scraping'), objects, 'worker-scraping', [])).not.toHaveProperty('X_DRY_RUN');
});

it("gives the scraping worker alone its ingestion settings (the sources' public APIs) and the sources' keys, as files of its SECRETS_DIR", () => {
  const defaults = parseEnv(ingestionEnvSchema, {});
  const urls = ['GDELT_BASE_URL', 'RELIEFWEB_BASE_URL', 'FRED_BASE_URL', 'WORLDBANK_BASE_URL', 'COMTRADE_BASE_URL'] as const;
  for (const overlay of overlays) {
    const objects = render(overlay);
    const envOf = (app: string) => containerEnv(container(objects, app), objects, app, []);
    const scraping = envOf('worker-scraping');
    expect(Object.fromEntries(urls.map((u) => [u, scraping[u]]))).toEqual(Object.fromEntries(urls.map((u) => [u, defaults[u]])));
    expect(scraping).toMatchObject({ SECRETS_DIR: '/var/run/secrets/conveyor', FRED_SERIES: 'GDP,UNRATE,CPIAUCSL' });
    expect(scraping).not.toHaveProperty('FRED_API_KEY');
    const mount = container(objects, 'worker-scraping').volumeMounts.find((m: any) => m.mountPath === scraping.SECRETS_DIR);
    const volume = get(objects, 'Deployment', 'worker-scraping').spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    // Optional: a Secret made without them (or before ingestion) still starts the worker.
    expect(volume.secret).toEqual({
      secretName: 'conveyor-secrets',
      optional: true,
      items: [
        { key: 'FRED_API_KEY', path: 'fred_api_key' },
        { key: 'COMTRADE_SUBSCRIPTION_KEY', path: 'comtrade_subscription_key' },
      ],
    });
    for (const app of APPS.filter((a) => a.name !== 'worker-scraping')) {
      expect({ app: app.name, env: envOf(app.name) }).toEqual({ app: app.name, env: expect.not.objectContaining({ SECRETS_DIR: expect.anything() }) });
      expect({ app: app.name, mounts: container(objects, app.name).volumeMounts.map((m: any) => m.name) }).toEqual({ app: app.name, mounts: ['tmp'] });
    }
    // The API and the scheduler make the system schedules, enabled from the start.
    expect(envOf('scheduler')).toMatchObject({ INGESTION_AUTOSTART: 'true', INGESTION_RUN_RETENTION_DAYS: '90' });
    expect(envOf('api')).toMatchObject({ INGESTION_AUTOSTART: 'true' });
  }
});

it('refuses objects the schemas refuse, and kinds it has no schema for', () => {
  const objects = render('prod');
  container(objects, 'worker-scraping').ports[0].containerPort = 'ninety-four-oh-one';
  get(objects, 'ScaledObject', 'worker-analysis').spec.triggers = 'redis';
  objects.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'mystery' } });
  const problems = schemaProblems(objects);
  expect(problems).toEqual([
    expect.stringMatching(/^Deployment\/worker-scraping: .*containerPort must be integer/),
    expect.stringMatching(/^ScaledObject\/worker-analysis: .*triggers must be array/),
    expect.stringMatching(/^Widget\/mystery: no schema for example.com\/v1 Widget/),
  ]);
});

it('fails when the manifests and the registry disagree, or a secret is written in', () => {
  const cases: [string, (o: K8sObject[]) => void, string][] = [
    [
      'a missing readiness probe',
      (o) => delete container(o, 'worker-monitoring').readinessProbe,
      'worker-monitoring: readinessProbe must GET /readyz on port 9404',
    ],
    ['liveness on readiness', (o) => (container(o, 'api').livenessProbe.httpGet.path = '/readyz'), 'api: livenessProbe must GET /healthz'],
    [
      'a probe on another port',
      (o) => (container(o, 'scheduler').readinessProbe.httpGet.port = 9499),
      'scheduler: readinessProbe must GET /readyz on port 9400',
    ],
    ['no resource limits', (o) => delete container(o, 'worker-analysis').resources.limits, 'worker-analysis: worker-analysis needs resources.limits'],
    ['an app left out', (o) => o.splice(o.indexOf(get(o, 'Deployment', 'worker-scraping')), 1), 'worker-scraping: needs exactly one Deployment, found 0'],
    [
      'a worker without scaler',
      (o) => o.splice(o.indexOf(get(o, 'ScaledObject', 'worker-publishing')), 1),
      'worker-publishing: needs one ScaledObject targeting it, found 0',
    ],
    [
      'a wrong listName',
      (o) => (get(o, 'ScaledObject', 'worker-scraping').spec.triggers[0].metadata.listName = 'bull:scraping:wait'),
      'worker-scraping: its ScaledObject must watch conveyor:{scraping}:scraping:wait',
    ],
    [
      'another prefix, old lists',
      (o) => (configMap(o).data.BULLMQ_PREFIX = 'acme'),
      'worker-generation: its ScaledObject must watch acme:{generation}:generation:wait',
    ],
    ['the scaler on another Redis', (o) => (configMap(o).data.REDIS_ADDRESS = 'other:6379'), 'worker-monitoring: its scaler reads Redis at other:6379'],
    [
      'a required variable missing',
      (o) => (container(o, 'api').env = container(o, 'api').env.filter((v: any) => v.name !== 'DATABASE_URL')),
      'api: Invalid configuration:\n  DATABASE_URL',
    ],
    [
      'the LLM key missing',
      (o) => (container(o, 'worker-generation').env = container(o, 'worker-generation').env.filter((v: any) => v.name !== 'OPENROUTER_API_KEY')),
      'worker-generation: Invalid configuration:\n  OPENROUTER_API_KEY',
    ],
    [
      'a wrong port variable',
      (o) => (container(o, 'worker-publishing').env.find((v: any) => v.name === 'WORKER_PORT').value = '9499'),
      'worker-publishing: WORKER_PORT=9499',
    ],
    [
      'a written key',
      (o) => (
        (container(o, 'worker-analysis').env.find((v: any) => v.name === 'OPENROUTER_API_KEY').valueFrom = undefined),
        (container(o, 'worker-analysis').env.find((v: any) => v.name === 'OPENROUTER_API_KEY').value = 'sk-live-123')
      ),
      'Deployment/worker-analysis: OPENROUTER_API_KEY is written in',
    ],
    ['a written password', (o) => (configMap(o).data.REDIS_URL = 'redis://default:hunter2@redis:6379'), 'REDIS_URL holds a password'],
    [
      'an X setting the publishing worker refuses',
      (o) => (configMap(o, 'conveyor-publishing').data.X_METRICS_STAGES = 'soon'),
      'worker-publishing: Invalid configuration:\n  X_METRICS_STAGES',
    ],
    [
      'X rate limits that are not JSON',
      (o) => (configMap(o, 'conveyor-publishing').data.X_RATE_LIMITS = '{basic: 50}'),
      'worker-publishing: Invalid configuration:\n  X_RATE_LIMITS',
    ],
    [
      'the X settings left out of the publishing worker',
      (o) => (container(o, 'worker-publishing').envFrom = container(o, 'worker-publishing').envFrom.slice(0, 1)),
      'worker-publishing: X_DRY_RUN is not set',
    ],
    ['an X token in a ConfigMap', (o) => (configMap(o, 'conveyor-publishing').data.X_TOKEN_MAIN = 'oauth-token'), 'X_TOKEN_MAIN is written in'],
    [
      'an X token written in',
      (o) =>
        Object.assign(
          container(o, 'worker-publishing').env.find((v: any) => v.name === 'X_TOKEN_MAIN'),
          { valueFrom: undefined, value: 'oauth-token' },
        ),
      'Deployment/worker-publishing: X_TOKEN_MAIN is written in',
    ],
    [
      'a Secret with values',
      (o) => o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'conveyor-secrets' }, stringData: { DATABASE_URL: 'postgres://x' } }),
      'Secret/conveyor-secrets: holds secret values',
    ],
    [
      'a short grace period',
      (o) => (get(o, 'Deployment', 'worker-scraping').spec.template.spec.terminationGracePeriodSeconds = 30),
      'worker-scraping: terminationGracePeriodSeconds must be longer than its 30 s drain',
    ],
    [
      'a budget selecting nothing',
      (o) => (get(o, 'PodDisruptionBudget', 'scheduler').spec.selector.matchLabels = { 'app.kubernetes.io/name': 'sched' }),
      'PodDisruptionBudget/scheduler: selects the pods of 0 Deployments',
    ],
    ['no migration Job', (o) => o.splice(o.indexOf(get(o, 'Job', 'migrate')), 1), 'migrate: needs one Job'],
    [
      'the migration from another image',
      (o) => (get(o, 'Job', 'migrate').spec.template.spec.containers[0].image = 'conveyor/scheduler'),
      'migrate: runs conveyor/scheduler',
    ],
    [
      'an app that does not wait for it',
      (o) => delete get(o, 'Deployment', 'scheduler').spec.template.spec.initContainers,
      'scheduler: needs an init container running the migration CLI',
    ],
    ['root', (o) => delete get(o, 'Deployment', 'api').spec.template.spec.securityContext, 'api: api must run as non-root'],
    [
      'a writable root filesystem',
      (o) => (container(o, 'worker-scraping').securityContext.readOnlyRootFilesystem = false),
      'worker-scraping: worker-scraping must have a read-only root filesystem',
    ],
    ['no API autoscaler', (o) => o.splice(o.indexOf(get(o, 'HorizontalPodAutoscaler', 'api')), 1), 'api: needs a HorizontalPodAutoscaler on CPU'],
    ['no Ingress', (o) => o.splice(o.indexOf(get(o, 'Ingress', 'api')), 1), 'api: needs an Ingress to Service api'],
    ['a Service on another port', (o) => (get(o, 'Service', 'api').spec.ports[0].targetPort = 8080), 'api: needs a Service selecting its pods on port 3000'],
    ['an image left at another tag', (o) => (container(o, 'worker-monitoring').image = 'conveyor/worker-monitoring'), 'images: from 2 registries or tags'],
    ['one scheduler', (o) => (get(o, 'Deployment', 'scheduler').spec.replicas = 1), 'scheduler: needs 2 replicas or more'],
    ['replicas beside a scaler', (o) => (get(o, 'Deployment', 'worker-analysis').spec.replicas = 3), 'worker-analysis: leaves replicas to its autoscaler'],
    [
      "a source's key given to another app as a variable",
      (o) => container(o, 'worker-analysis').env.push({ name: 'FRED_API_KEY', valueFrom: { secretKeyRef: { name: 'conveyor-secrets', key: 'FRED_API_KEY' } } }),
      "Deployment/worker-analysis: container worker-analysis is given fred_api_key, which only worker-scraping's container reads",
    ],
    [
      "a source's key under another variable's name",
      (o) => container(o, 'api').env.push({ name: 'KEY', valueFrom: { secretKeyRef: { name: 'conveyor-secrets', key: 'COMTRADE_SUBSCRIPTION_KEY' } } }),
      "Deployment/api: container api is given comtrade_subscription_key, which only worker-scraping's container reads",
    ],
    [
      "the sources' keys mounted in another app",
      (o) => {
        const keys = get(o, 'Deployment', 'worker-scraping').spec.template.spec.volumes.find((v: any) => v.name === 'source-keys');
        get(o, 'Deployment', 'worker-publishing').spec.template.spec.volumes.push(keys);
        container(o, 'worker-publishing').volumeMounts.push({ name: 'source-keys', mountPath: '/var/run/secrets/conveyor' });
      },
      "Deployment/worker-publishing: container worker-publishing is given fred_api_key, which only worker-scraping's container reads",
    ],
    [
      'the whole Secret mounted in another app',
      (o) => {
        get(o, 'Deployment', 'scheduler').spec.template.spec.volumes.push({ name: 'all', secret: { secretName: 'conveyor-secrets' } });
        container(o, 'scheduler').volumeMounts.push({ name: 'all', mountPath: '/secrets' });
      },
      "Deployment/scheduler: container scheduler is given comtrade_subscription_key, which only worker-scraping's container reads",
    ],
    [
      "the sources' keys mounted in the migration's init container",
      (o) => (get(o, 'Deployment', 'worker-scraping').spec.template.spec.initContainers[0].volumeMounts = [{ name: 'source-keys', mountPath: '/keys' }]),
      "Deployment/worker-scraping: container migrations is given fred_api_key, which only worker-scraping's container reads",
    ],
    [
      'SECRETS_DIR elsewhere than the keys',
      (o) => (configMap(o, 'conveyor-ingestion').data.SECRETS_DIR = '/run/secrets'),
      'worker-scraping: fred_api_key is neither its variable FRED_API_KEY from a Secret nor the file fred_api_key of its SECRETS_DIR (/run/secrets)',
    ],
    [
      'a key left out of the volume',
      (o) =>
        get(o, 'Deployment', 'worker-scraping')
          .spec.template.spec.volumes.find((v: any) => v.name === 'source-keys')
          .secret.items.pop(),
      'worker-scraping: comtrade_subscription_key is neither its variable COMTRADE_SUBSCRIPTION_KEY from a Secret nor the file comtrade_subscription_key',
    ],
    [
      'a key file under another name',
      (o) =>
        (get(o, 'Deployment', 'worker-scraping').spec.template.spec.volumes.find((v: any) => v.name === 'source-keys').secret.items[0].path = 'FRED_API_KEY'),
      'worker-scraping: fred_api_key is neither its variable FRED_API_KEY from a Secret nor the file fred_api_key',
    ],
    [
      'the file of one key holding another',
      (o) =>
        (get(o, 'Deployment', 'worker-scraping').spec.template.spec.volumes.find((v: any) => v.name === 'source-keys').secret.items[1].key = 'FRED_API_KEY'),
      'worker-scraping: comtrade_subscription_key is neither its variable COMTRADE_SUBSCRIPTION_KEY from a Secret nor the file comtrade_subscription_key',
    ],
    [
      'the ingestion settings left out of the scraping worker',
      (o) => (container(o, 'worker-scraping').envFrom = container(o, 'worker-scraping').envFrom.slice(0, 1)),
      'worker-scraping: fred_api_key is neither its variable FRED_API_KEY from a Secret nor the file fred_api_key of its SECRETS_DIR (unset)',
    ],
    [
      'an ingestion setting the scraping worker refuses',
      (o) => (configMap(o, 'conveyor-ingestion').data.FRED_SERIES = 'GDP;UNRATE'),
      'worker-scraping: Invalid configuration:\n  FRED_SERIES',
    ],
    [
      "a source's key in a ConfigMap",
      (o) => (configMap(o, 'conveyor-ingestion').data.COMTRADE_SUBSCRIPTION_KEY = 'abc'),
      'COMTRADE_SUBSCRIPTION_KEY is written in',
    ],
  ];
  for (const [what, change, expected] of cases) {
    const objects = render('prod');
    change(objects);
    const problems = k8sProblems(objects, root);
    expect({ what, found: problems.some((p) => p.includes(expected)) || problems }).toEqual({ what, found: true });
  }
});
