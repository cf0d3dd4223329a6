import { APPS, type AppEntry } from '@conveyor/config';
import { SECRET_NAME, STORE_SECRETS, drainSeconds, envProblems, storeSecretOf, storeSecretVariable, undecidedSettings, urlPassword } from './app-env';
import { queueKey } from '@conveyor/queue';
import {
  type Container,
  checkSecurity,
  command,
  containerEnv,
  find,
  imageApp,
  imageRelease,
  matches,
  mountedSecretFiles,
  podContainers,
  portNumber,
} from './k8s-pods';
import type { K8sObject } from './k8s-render';

// What every rendering of infra/k8s must hold against the app registry and the apps' own
// environment schemas. Schema validation is k8s-render.ts's schemaProblems; these are the
// rest. Each function returns problems as "<object or app>: <what>".

/** Every app serves readiness here (@conveyor/observability's health server, the API's health router): Postgres and Redis answer. */
const READINESS_PATH = '/readyz';
/** The migration CLI every image holds (infra/docker/Dockerfile). */
const MIGRATE = 'node packages/db/dist/cli/migrate.js';

function checkProbe(app: AppEntry, container: Container, kind: 'readinessProbe' | 'livenessProbe', path: string, problems: string[]): void {
  const get = container[kind]?.httpGet;
  const port = portNumber(container, get?.port);
  if (get?.path !== path || port !== app.defaultPort)
    problems.push(`${app.name}: ${kind} must GET ${path} on port ${app.defaultPort} (it asks ${get?.path} on ${port})`);
}

/** The worker's ScaledObject: its own Deployment, its own queue's wait list, on the Redis its own pods use. */
function checkScaler(app: AppEntry, env: Record<string, string>, objects: K8sObject[], problems: string[]): void {
  const scalers = find(objects, 'ScaledObject').filter((s) => s.spec?.scaleTargetRef?.name === app.name);
  if (scalers.length !== 1) return void problems.push(`${app.name}: needs one ScaledObject targeting it, found ${scalers.length}`);
  const spec = scalers[0]!.spec;
  if (!(spec.minReplicaCount >= 1)) problems.push(`${app.name}: minReplicaCount must be at least 1 (delayed and prioritised jobs are not on the wait list)`);
  // KEDA must watch the list the queue package writes waiting jobs to.
  const expected = queueKey(env.BULLMQ_PREFIX ?? 'conveyor', app.queue!, 'wait');
  const triggers: { type: string; metadata?: Record<string, string> }[] = spec.triggers ?? [];
  const onQueue = triggers.filter((t) => ['redis', 'redis-cluster'].includes(t.type) && t.metadata?.listName === expected);
  if (onQueue.length === 0)
    problems.push(
      `${app.name}: its ScaledObject must watch ${expected} (found ${triggers.map((t) => `${t.type} ${t.metadata?.listName}`).join(', ') || 'no trigger'})`,
    );
  for (const trigger of onQueue) {
    const m = trigger.metadata!;
    const address = m.address ?? m.addresses ?? env[m.addressFromEnv ?? m.addressesFromEnv ?? ''];
    const redis = /^rediss?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(env.REDIS_URL ?? '')?.[1];
    if (!address || address !== redis) problems.push(`${app.name}: its scaler reads Redis at ${address}, its pods use ${redis}`);
    if (!(Number(m.listLength) > 0)) problems.push(`${app.name}: listLength must be a positive number`);
  }
}

function checkApp(app: AppEntry, objects: K8sObject[], root: string, problems: string[]): void {
  const deployments = find(objects, 'Deployment', app.name);
  if (deployments.length !== 1) return void problems.push(`${app.name}: needs exactly one Deployment, found ${deployments.length}`);
  const deployment = deployments[0]!;
  const pod = deployment.spec?.template?.spec ?? {};
  const container: Container | undefined = pod.containers?.find((c: Container) => c.name === app.name);
  if (!container) return void problems.push(`${app.name}: no container named ${app.name}`);
  if (imageApp(container.image) !== app.name) problems.push(`${app.name}: runs image ${container.image}, not its own`);
  if (!matches(deployment.spec?.selector?.matchLabels, deployment.spec?.template?.metadata?.labels))
    problems.push(`${app.name}: its selector does not match its pods`);
  if (!container.ports?.some((p: { containerPort: number }) => p.containerPort === app.defaultPort))
    problems.push(`${app.name}: does not expose port ${app.defaultPort}`);
  checkProbe(app, container, 'readinessProbe', READINESS_PATH, problems);
  checkProbe(app, container, 'livenessProbe', app.healthPath, problems);
  checkSecurity(app.name, pod, [...(pod.initContainers ?? []), ...pod.containers], problems);
  const env = containerEnv(container, objects, app.name, problems);
  problems.push(...envProblems(app, env, root), ...undecidedSettings(app, env, root));
  if (env.HOST !== '0.0.0.0') problems.push(`${app.name}: HOST must be 0.0.0.0 in a container`);
  if (Number(env[app.portVariable]) !== app.defaultPort)
    problems.push(`${app.name}: ${app.portVariable}=${env[app.portVariable]}, the registry says ${app.defaultPort}`);
  if (!pod.initContainers?.some((c: Container) => command(c) === MIGRATE && imageApp(c.image) === app.name))
    problems.push(`${app.name}: needs an init container running the migration CLI (it waits for the migrate Job)`);
  const autoscaled = app.kind !== 'scheduler';
  if (autoscaled && deployment.spec.replicas !== undefined)
    problems.push(`${app.name}: leaves replicas to its autoscaler, but sets ${deployment.spec.replicas}`);
  if (app.kind === 'scheduler' && !(deployment.spec.replicas >= 2)) problems.push(`${app.name}: needs 2 replicas or more`);
  if (app.kind === 'worker') {
    const drain = drainSeconds(app, env);
    if (!(pod.terminationGracePeriodSeconds > drain)) problems.push(`${app.name}: terminationGracePeriodSeconds must be longer than its ${drain} s drain`);
    checkScaler(app, env, objects, problems);
  }
  if (app.kind === 'api') checkApi(app, container, deployment, objects, problems);
}

/** The API: a Service on its port, an Ingress to that Service, an HPA on CPU. */
function checkApi(app: AppEntry, container: Container, deployment: K8sObject, objects: K8sObject[], problems: string[]): void {
  const labels = deployment.spec.template.metadata?.labels;
  const services = find(objects, 'Service').filter((s) => matches(s.spec?.selector, labels));
  const service = services.find((s) => s.spec.ports?.some((p: { targetPort: number | string }) => portNumber(container, p.targetPort) === app.defaultPort));
  if (!service) return void problems.push(`${app.name}: needs a Service selecting its pods on port ${app.defaultPort}`);
  const routed = find(objects, 'Ingress').some((ingress) =>
    (ingress.spec?.rules ?? []).some((rule: any) => (rule.http?.paths ?? []).some((p: any) => p.backend?.service?.name === service.metadata.name)),
  );
  if (!routed) problems.push(`${app.name}: needs an Ingress to Service ${service.metadata.name}`);
  const hpa = find(objects, 'HorizontalPodAutoscaler').find((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === app.name);
  if (!hpa?.spec.metrics?.some((m: any) => m.type === 'Resource' && m.resource?.name === 'cpu'))
    problems.push(`${app.name}: needs a HorizontalPodAutoscaler on CPU`);
}

/** One migration Job, from the API's image, running the migration CLI with the database's address. */
function checkMigration(objects: K8sObject[], problems: string[]): void {
  const api = find(objects, 'Deployment', 'api')[0]?.spec?.template?.spec?.containers?.find((c: Container) => c.name === 'api');
  const jobs = find(objects, 'Job').filter((job) => (job.spec?.template?.spec?.containers ?? []).some((c: Container) => command(c) === MIGRATE));
  if (jobs.length !== 1) return void problems.push(`migrate: needs one Job running ${MIGRATE}, found ${jobs.length}`);
  const container = jobs[0]!.spec.template.spec.containers.find((c: Container) => command(c) === MIGRATE);
  if (!api || container.image !== api.image) problems.push(`migrate: runs ${container.image}, not the API's image ${api?.image}`);
  if (!(container.env ?? []).some((v: any) => v.name === 'DATABASE_URL' && v.valueFrom?.secretKeyRef))
    problems.push('migrate: takes DATABASE_URL from the Secret');
  checkSecurity(`Job/${jobs[0]!.metadata.name}`, jobs[0]!.spec.template.spec, jobs[0]!.spec.template.spec.containers, problems);
}

/** Every image of every pod comes from one registry at one tag (an app left out of an overlay's `images` would not). */
function checkOneRelease(objects: K8sObject[], problems: string[]): void {
  const releases = new Set(objects.flatMap(podContainers).map((c) => imageRelease(c.image)));
  if (releases.size > 1) problems.push(`images: from ${releases.size} registries or tags: ${[...releases].join(', ')}`);
}

/** Every Deployment has a PodDisruptionBudget, and every budget selects the pods of exactly one Deployment. */
function checkDisruptionBudgets(objects: K8sObject[], problems: string[]): void {
  const deployments = find(objects, 'Deployment');
  const budgets = find(objects, 'PodDisruptionBudget');
  for (const pdb of budgets) {
    const selected = deployments.filter((d) => matches(pdb.spec?.selector?.matchLabels, d.spec?.template?.metadata?.labels));
    if (selected.length !== 1) problems.push(`PodDisruptionBudget/${pdb.metadata.name}: selects the pods of ${selected.length} Deployments, not 1`);
  }
  for (const d of deployments)
    if (!budgets.some((pdb) => matches(pdb.spec?.selector?.matchLabels, d.spec?.template?.metadata?.labels)))
      problems.push(`${d.metadata.name}: no PodDisruptionBudget selects its pods`);
}

/** No secret value in any object: no Secret with data, no secret-named literal, no URL with a password. */
function checkSecrets(objects: K8sObject[], problems: string[]): void {
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Secret' && (Object.keys(o.data ?? {}).length || Object.keys(o.stringData ?? {}).length))
      problems.push(`${where}: holds secret values; create the Secret outside the repository`);
    const literals: [string, string][] =
      o.kind === 'ConfigMap'
        ? Object.entries(o.data ?? {})
        : podContainers(o).flatMap((c) =>
            (c.env ?? []).filter((v: any) => v.value !== undefined).map((v: any) => [v.name, String(v.value)] as [string, string]),
          );
    for (const [key, value] of literals) {
      if (SECRET_NAME.test(key)) problems.push(`${where}: ${key} is written in; take it from the Secret`);
      if (urlPassword(value)) problems.push(`${where}: ${key} holds a password; take it from the Secret`);
    }
  }
}

/**
 * The store secrets (STORE_SECRETS) a container is given: by a variable's name or Secret key
 * (FRED_API_KEY), or by a mounted file's key or name (fred_api_key); a whole Secret mounted
 * gives them all.
 */
function storeSecretsOf(pod: Record<string, any>, container: Container): string[] {
  const names = [
    ...(container.env ?? []).flatMap((v: any) => [v.name, v.valueFrom?.secretKeyRef?.key]),
    ...mountedSecretFiles(pod, container).flatMap((f) => (f.key === '*' ? Object.keys(STORE_SECRETS) : [f.key, f.path])),
  ];
  return [...new Set(names.flatMap((name) => storeSecretOf(String(name)) ?? []))];
}

/**
 * The secrets read through the secret store (STORE_SECRETS) go to the container of the app
 * that reads them and to no other container (another app's, or its own init container); that
 * container finds each, as its variable (FRED_API_KEY) from a Secret or as the file of its
 * SECRETS_DIR named by the secret (fred_api_key).
 */
function checkStoreSecrets(objects: K8sObject[], problems: string[]): void {
  for (const o of objects) {
    const pod = o.spec?.template?.spec;
    for (const c of podContainers(o))
      for (const secret of storeSecretsOf(pod, c)) {
        const owner = STORE_SECRETS[secret]!;
        if (o.kind !== 'Deployment' || o.metadata.name !== owner || c.name !== owner)
          problems.push(`${o.kind}/${o.metadata.name}: container ${c.name} is given ${secret}, which only ${owner}'s container reads`);
      }
  }
  for (const [secret, owner] of Object.entries(STORE_SECRETS)) {
    const pod = find(objects, 'Deployment', owner)[0]?.spec?.template?.spec;
    const container: Container | undefined = pod?.containers?.find((c: Container) => c.name === owner);
    if (!container) continue;
    const variable = storeSecretVariable(secret);
    const dir = containerEnv(container, objects, owner, []).SECRETS_DIR?.replace(/\/+$/, '');
    const asVariable = (container.env ?? []).some((v: any) => v.name === variable && storeSecretOf(v.valueFrom?.secretKeyRef?.key ?? '') === secret);
    const asFile = mountedSecretFiles(pod, container).some((f) => f.dir === dir && f.path === secret && storeSecretOf(f.key) === secret);
    if (!asVariable && !asFile)
      problems.push(`${owner}: ${secret} is neither its variable ${variable} from a Secret nor the file ${secret} of its SECRETS_DIR (${dir ?? 'unset'})`);
  }
}

/**
 * What is wrong with rendered manifests against the app registry: every app one Deployment
 * (its image, port, probes, resources, security context, a complete environment parsed by
 * its own schemas), every worker its KEDA scaler on its queue's wait list, the API its
 * Service, Ingress and HPA, the migration Job, disruption budgets, no secret written in, and
 * the secret store's secrets given to the app that reads them alone.
 */
export function k8sProblems(objects: K8sObject[], root: string): string[] {
  const problems: string[] = [];
  for (const app of APPS) checkApp(app, objects, root, problems);
  const known = new Set<string>(APPS.map((a) => a.name));
  for (const d of find(objects, 'Deployment')) if (!known.has(d.metadata.name)) problems.push(`${d.metadata.name}: a Deployment of no app in the registry`);
  for (const hpa of find(objects, 'HorizontalPodAutoscaler'))
    if (find(objects, 'ScaledObject').some((s) => s.spec?.scaleTargetRef?.name === hpa.spec?.scaleTargetRef?.name))
      problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: its target is scaled by KEDA already`);
  checkMigration(objects, problems);
  checkOneRelease(objects, problems);
  checkDisruptionBudgets(objects, problems);
  checkSecrets(objects, problems);
  checkStoreSecrets(objects, problems);
  return problems;
}
