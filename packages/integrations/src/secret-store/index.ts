export { SecretStore, type SecretStoreOptions } from './secret-store';
export { createSecretStore, type SecretStoreConfig } from './create-secret-store';
export { DirectorySecretBackend } from './directory-backend';
export { EnvSecretBackend } from './env-backend';
export { checkSecretName, envVariableOf } from './secret-name';
export { type SecretBackend, SecretWriteError } from './secret-backend';
export { GsmSecretBackend } from './gsm-backend';
export { createGsmClient } from './gsm-client';
