import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object, as far as the checks read it generically. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

/** The kubectl that npm test installed (scripts/lib/kubectl.mjs), or the one on PATH. */
const KUBECTL = process.env.KUBECTL_PATH || 'kubectl';

/** Every object `kubectl kustomize <dir>` renders, in its order. */
export function renderKustomization(dir: string): K8sObject[] {
  const out = execFileSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(out)
    .map((doc) => doc.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** Schema problems of each object (k8s-validate.mjs, run by Node as an ES module). */
export function schemaProblems(objects: K8sObject[]): string[] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'k8s-validate.mjs')], { input: JSON.stringify(objects), encoding: 'utf8' });
  return JSON.parse(out) as string[];
}
