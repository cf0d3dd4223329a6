import fs from 'node:fs';
import { aptInstall } from './apt.mjs';
import { capture } from './run.mjs';

const onPath = () => capture('sh', ['-c', 'command -v kubectl']);

/**
 * The kubectl whose built-in kustomize renders infra/k8s for the manifest test
 * (tests/e2e/test/k8s-manifests.test.ts): KUBECTL_PATH, the kubectl on PATH, or one installed
 * with apt-get: the package kubectl where the machine's sources have it, else Debian's
 * kubernetes-client (kubectl 1.20, kustomize 2.0.3, which the manifests are written for too).
 * Returns its path; throws with what to do when it cannot install.
 */
export function ensureKubectl(env) {
  if (env.KUBECTL_PATH) {
    if (fs.existsSync(env.KUBECTL_PATH)) return env.KUBECTL_PATH;
    throw new Error(`KUBECTL_PATH is ${env.KUBECTL_PATH}, which does not exist`);
  }
  const found = onPath();
  if (found) return found;
  aptInstall(
    ['kubectl', 'kubernetes-client'],
    'kubectl for the Kubernetes manifest test',
    'The Kubernetes manifest test renders infra/k8s with kubectl kustomize. Install kubectl (Debian: sudo apt-get install -y kubernetes-client) or set KUBECTL_PATH',
  );
  const installed = onPath();
  if (!installed) throw new Error('apt-get installed kubectl, but it is not on PATH; set KUBECTL_PATH');
  return installed;
}
