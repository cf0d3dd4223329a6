export { SecretNotFoundError, InvalidSecretRefError, type SecretsProvider } from './secrets-provider';
export { EnvSecretsProvider } from './env-secrets-provider';
export { createSecretsProvider, SchemeSecretsProvider, type SecretsBackends } from './create-secrets-provider';
