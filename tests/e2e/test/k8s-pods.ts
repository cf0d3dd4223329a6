import type { K8sObject } from './k8s-render';

// Reading pods out of rendered objects, for k8s-check.ts: containers, their environment as
// the process would see it, ports by name, and the settings every container must have.

/** What a variable taken from a Secret stands for when the app's schema parses it: its value is not in the manifests. */
const FROM_SECRET = (name: string) => (name === 'DATABASE_URL' ? 'postgres://from-secret@db/conveyor' : `from-secret:${name}`);

export type Container = Record<string, any>;

export const find = (objects: K8sObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
export const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
/** An image's last path segment without registry or tag: registry.example.com/conveyor/api:1.0.0 → api. */
const IMAGE_APP = /[^/:@]+(?=(?::[^/]*)?(?:@.*)?$)/;
export const imageApp = (image: string | undefined) => IMAGE_APP.exec(image ?? '')?.[0];
/** The image with its app (and digest) left out: registry.example.com/conveyor/api:1.0.0 → registry.example.com/conveyor/<app>:1.0.0. */
export const imageRelease = (image: string | undefined) => String(image).replace(/@.*$/, '').replace(IMAGE_APP, '<app>');
export const command = (c: Container | undefined) => [...(c?.command ?? []), ...(c?.args ?? [])].join(' ');

/** The init containers and containers of a Deployment's or Job's pod; none for other kinds. */
export const podContainers = (o: K8sObject): Container[] => [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])];

/** A container's environment as the process sees it: ConfigMaps by envFrom and reference, literal values, Secret references as placeholders. */
export function containerEnv(container: Container, objects: K8sObject[], where: string, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const configMap = (name: string) => {
    const [found] = find(objects, 'ConfigMap', name);
    if (!found) problems.push(`${where}: refers to ConfigMap ${name}, which is not rendered`);
    return (found?.data ?? {}) as Record<string, string>;
  };
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, configMap(source.configMapRef.name));
    else problems.push(`${where}: envFrom only from ConfigMaps (a Secret's keys are named one by one)`);
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (from?.secretKeyRef) env[variable.name] = FROM_SECRET(variable.name);
    else if (from?.configMapKeyRef) env[variable.name] = configMap(from.configMapKeyRef.name)[from.configMapKeyRef.key] ?? '';
    else env[variable.name] = String(variable.value ?? '');
  }
  return env;
}

/** The container port a probe or Service names (by number or by the port's name). */
export function portNumber(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: { name?: string }) => p.name === port)?.containerPort;
}

/** Non-root by number, no privilege escalation, a read-only root filesystem, requests and limits: for every container of a pod. */
export function checkSecurity(where: string, pod: Record<string, any>, containers: Container[], problems: string[]): void {
  for (const c of containers) {
    const s = c.securityContext ?? {};
    if ((s.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) problems.push(`${where}: ${c.name} must run as non-root`);
    // The image's user is a name (node), which the kubelet cannot prove non-root without a uid.
    if (!((s.runAsUser ?? pod.securityContext?.runAsUser) > 0)) problems.push(`${where}: ${c.name} needs a non-zero runAsUser`);
    if (s.allowPrivilegeEscalation !== false) problems.push(`${where}: ${c.name} must set allowPrivilegeEscalation: false`);
    if (s.readOnlyRootFilesystem !== true) problems.push(`${where}: ${c.name} must have a read-only root filesystem`);
    for (const [need, kinds] of [
      ['requests', c.resources?.requests],
      ['limits', c.resources?.limits],
    ] as const)
      if (!kinds?.cpu || !kinds?.memory) problems.push(`${where}: ${c.name} needs resources.${need} for cpu and memory`);
  }
}

/** A Secret's key a volume holds as a file: its path in the volume. Key and path '*': the whole Secret, every key a file. */
export interface SecretFile {
  secret: string;
  key: string;
  path: string;
}

/** The Secret keys a pod volume holds as files (a `secret` volume, or the Secret sources of a `projected` one). */
function volumeSecretFiles(volume: Record<string, any>): SecretFile[] {
  const sources: { name: string; items?: { key: string; path: string }[] }[] = [
    ...(volume.secret ? [{ name: volume.secret.secretName, items: volume.secret.items }] : []),
    ...(volume.projected?.sources ?? []).flatMap((s: any) => (s.secret ? [{ name: s.secret.name, items: s.secret.items }] : [])),
  ];
  return sources.flatMap(({ name, items }) => (items ? items.map(({ key, path }) => ({ secret: name, key, path })) : [{ secret: name, key: '*', path: '*' }]));
}

/** The Secret files a container sees: each mounted volume's, with the directory it is mounted at. */
export function mountedSecretFiles(pod: Record<string, any>, container: Container): (SecretFile & { dir: string })[] {
  return (container.volumeMounts ?? []).flatMap((mount: any) => {
    const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
    // A subPath mount holds one file that is never updated: not a directory of secrets.
    if (!volume || mount.subPath) return [];
    return volumeSecretFiles(volume).map((file) => ({ ...file, dir: String(mount.mountPath).replace(/\/+$/, '') }));
  });
}

/** Every Secret key the objects' containers refer to, as "<secret>/<key>": variables and volumes' files. */
export function secretKeys(objects: K8sObject[]): string[] {
  return objects.flatMap((o) => [
    ...podContainers(o).flatMap((c) =>
      (c.env ?? []).flatMap((v: any) => (v.valueFrom?.secretKeyRef ? [`${v.valueFrom.secretKeyRef.name}/${v.valueFrom.secretKeyRef.key}`] : [])),
    ),
    ...(o.spec?.template?.spec?.volumes ?? []).flatMap((v: any) => volumeSecretFiles(v).map((f) => `${f.secret}/${f.key}`)),
  ]);
}
