import { InvalidSecretRefError, describeBadRef } from '../secrets-provider/secrets-provider';

/**
 * A secret's name: letters, digits, _ . and -, starting with a letter, digit or _ (so never `.`,
 * `..` or a hidden file), at most 128 characters. It becomes a file name in the secrets
 * directory, so a `/` or `..` could read any file the process can; refused before any lookup.
 */
const SECRET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Returns the name when it is valid; otherwise throws without repeating it (it may be a value pasted by mistake). */
export function checkSecretName(name: string): string {
  if (typeof name === 'string' && SECRET_NAME.test(name)) return name;
  throw new InvalidSecretRefError(
    `a secret name is 1-128 letters, digits, _ . or - starting with a letter, digit or _ (like fred_api_key); got ${describeBadRef(String(name))}`,
  );
}

/** The environment variable a name is looked up as: capitals, with . and - as _ (fred_api_key → FRED_API_KEY). */
export const envVariableOf = (name: string) => name.toUpperCase().replace(/[.-]/g, '_');
