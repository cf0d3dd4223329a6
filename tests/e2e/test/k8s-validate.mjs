// Validates Kubernetes objects against the OpenAPI schemas of kubernetes-models and
// @kubernetes-models/keda. Those packages are ES modules only, which Jest's CommonJS cannot
// load, so k8s-schema.ts runs this file as a child process: a JSON array of objects on stdin,
// a JSON array of problems ("<Kind>/<name>: <what>") on stdout. A kind without a model here
// is a problem, not a pass.
import process from 'node:process';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';

const MODELS = [
  ConfigMap,
  Namespace,
  Secret,
  Service,
  Deployment,
  Job,
  Ingress,
  HorizontalPodAutoscaler,
  PodDisruptionBudget,
  ScaledObject,
  TriggerAuthentication,
];
const byType = new Map(MODELS.map((model) => [`${model.apiVersion}/${model.kind}`, model]));

let input = '';
for await (const chunk of process.stdin) input += chunk;
const problems = JSON.parse(input).flatMap((object) => {
  const where = `${object?.kind}/${object?.metadata?.name}`;
  const Model = byType.get(`${object?.apiVersion}/${object?.kind}`);
  if (!Model) return [`${where}: no schema for ${object?.apiVersion} ${object?.kind} (known: ${[...byType.keys()].join(', ')})`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${where}: ${error instanceof Error ? error.message : String(error)}`];
  }
});
process.stdout.write(JSON.stringify(problems));
