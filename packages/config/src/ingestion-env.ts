import { INGESTION_SOURCES, type IngestionSourceName, hostAllowlistText, jsonText } from '@conveyor/contracts';
import { z } from 'zod';

const list = (example: string) =>
  z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, `a comma-separated list of codes, like ${example}`)).max(200, 'at most 200 entries'));

const bucketSchema = z
  .object({
    capacity: z.number().int().min(1).max(100_000),
    refillPerSecond: z.number().positive().max(100_000),
  })
  .strict();
const rateLimitsSchema = z.partialRecord(z.enum(INGESTION_SOURCES), bucketSchema);

const baseUrl = (fallback: string) => z.url({ protocol: /^https?$/, error: 'a base URL is http(s)://host[:port]' }).default(fallback);

/**
 * What the scraping worker reads to run ingestion: where each source is (its public API by
 * default; a simulator's loopback address in tests and local runs), what to fetch, and the
 * framework's limits. Secrets (FRED_API_KEY, COMTRADE_SUBSCRIPTION_KEY) are not here: they are
 * read through the secrets provider when a run needs them.
 */
export const ingestionEnvSchema = z.object({
  /** host[:port],… a source's base URL may be although it is private (the simulators' 127.0.0.1:<port>). */
  INGESTION_ALLOW_HOSTS: hostAllowlistText.default([]),
  /** Milliseconds one run may take, every page, wait and retry included. */
  INGESTION_RUN_LIMIT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(300_000),
  /** Retries of one request after a 429, a 5xx or a network error. */
  INGESTION_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  /** First retry's backoff in milliseconds; doubled each time, with jitter. */
  INGESTION_RETRY_BASE_MS: z.coerce.number().int().min(1).max(60_000).default(1000),
  /** JSON: source → {capacity, refillPerSecond}, replacing the source's own token bucket. */
  INGESTION_RATE_LIMITS: jsonText(rateLimitsSchema, '{"fred":{"capacity":5,"refillPerSecond":2}}').default({}),

  GDELT_BASE_URL: baseUrl('https://api.gdeltproject.org'),
  /** The GDELT DOC 2.0 query: keywords and operators such as sourcelang:english. */
  GDELT_QUERY: z.string().min(1).max(500).default('(economy OR trade OR humanitarian) sourcelang:english'),
  RELIEFWEB_BASE_URL: baseUrl('https://api.reliefweb.int'),
  /** The appname ReliefWeb asks every caller to send. */
  RELIEFWEB_APPNAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'an appname is letters, digits, . _ or -')
    .default('conveyor'),
  FRED_BASE_URL: baseUrl('https://api.stlouisfed.org'),
  FRED_SERIES: list('GDP,UNRATE').default(['GDP', 'UNRATE', 'CPIAUCSL']),
  WORLDBANK_BASE_URL: baseUrl('https://api.worldbank.org'),
  WORLDBANK_INDICATORS: list('NY.GDP.MKTP.CD,SP.POP.TOTL').default(['NY.GDP.MKTP.CD', 'SP.POP.TOTL']),
  /** ISO3 country codes, or all. */
  WORLDBANK_COUNTRIES: list('USA,DEU,KEN').default(['all']),
  COMTRADE_BASE_URL: baseUrl('https://comtradeapi.un.org'),
  /** Reporter country codes (M49). */
  COMTRADE_REPORTERS: list('842,156').default(['842', '156', '276']),
});

export type IngestionEnv = z.infer<typeof ingestionEnvSchema>;

/** The settings of one source's run (read by the source's factory). */
export type IngestionRateLimits = Partial<Record<IngestionSourceName, z.infer<typeof bucketSchema>>>;

/**
 * What the scheduler (and the API) read about ingestion: whether the system schedules start
 * enabled when first made, and how long the audit trail is kept.
 */
export const ingestionScheduleEnvSchema = z.object({
  /** true: the five system schedules start enabled when they are first made; afterwards PATCH /ingestion/sources/{source} decides. */
  INGESTION_AUTOSTART: z
    .enum(['true', 'false'], { error: 'INGESTION_AUTOSTART is true or false' })
    .default('true')
    .transform((v) => v === 'true'),
  /** Days a finished run stays in the audit trail (ingestion_runs); records are kept. */
  INGESTION_RUN_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
});
