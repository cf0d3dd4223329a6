import { z } from 'zod';
import { xHandleSchema } from './x/handle';
import { X_TIERS, type XTier } from './x/rate-limits';

export const xTierSchema = z.enum(X_TIERS as [XTier, ...XTier[]], { error: `api_tier must be one of ${X_TIERS.join(', ')}` });

/**
 * Where an account's OAuth token is kept: the name of a secret, never the secret. The one form
 * so far is `env:X_TOKEN_<NAME>`, an environment variable of the publishing worker. Only
 * `X_TOKEN_` variables: a tenant chooses this name, and any other variable (DATABASE_URL, an
 * API key) would be sent to X as a bearer token. The message never repeats the value, which
 * may be a token sent by mistake.
 */
export const X_TOKEN_ENV_PREFIX = 'X_TOKEN_';
export const TOKEN_SECRET_REF_FORMS = ['env:X_TOKEN_<NAME> (NAME: up to 120 upper-case letters, digits or _)'];
const refMessage = `token_secret_ref must be one of: ${TOKEN_SECRET_REF_FORMS.join('; ')}, like env:X_TOKEN_ACME`;
export const tokenSecretRefSchema = z
  .string()
  .max(200, refMessage)
  .regex(/^env:X_TOKEN_[A-Z0-9_]{1,120}$/, refMessage);

const accountFields = {
  handle: xHandleSchema,
  api_tier: xTierSchema,
  token_secret_ref: tokenSecretRefSchema,
};

/**
 * Field names that carry a token itself rather than the name of one (compared without case,
 * '_' or '-'): a body with any of them is refused before anything else reads it, and its
 * value is never repeated.
 */
const RAW_TOKEN_FIELDS = new Set([
  'token',
  'accesstoken',
  'refreshtoken',
  'bearer',
  'bearertoken',
  'authtoken',
  'oauthtoken',
  'oauthtokensecret',
  'tokensecret',
  'apikey',
  'apisecret',
  'clientsecret',
  'secret',
  'password',
]);

/** The top-level fields of a body that look like a raw token (their names only). */
export function rawTokenFields(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  return Object.keys(body).filter((key) => RAW_TOKEN_FIELDS.has(key.toLowerCase().replace(/[_-]/g, '')));
}

/** Body of POST /api/v1/x-accounts; without api_tier, the deployment's X_API_TIER (free by default). */
export const createXAccountBodySchema = z.object({ ...accountFields, api_tier: xTierSchema.optional() }).strict();
export type CreateXAccountBody = z.infer<typeof createXAccountBodySchema>;

/** Body of PATCH /api/v1/x-accounts/{id}: any of the fields, at least one. */
export const patchXAccountBodySchema = z
  .object(accountFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'send at least one of handle, api_tier, token_secret_ref' });

export const xAccountIdSchema = z.uuid({ error: 'an account id is a UUID' });

/** Query of GET /api/v1/x-accounts: by handle, a page at a time. */
export const listXAccountsQuerySchema = z
  .object({
    /** next_cursor of the previous page. */
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/** An X account as the API shows it: the name of its token's secret, never a token. */
export const xAccountViewSchema = z.object({
  account_id: z.uuid(),
  handle: z.string(),
  api_tier: xTierSchema,
  token_secret_ref: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type XAccountView = z.infer<typeof xAccountViewSchema>;
