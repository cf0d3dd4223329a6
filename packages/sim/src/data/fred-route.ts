import type { DataSourceRoute, SimAnswer, SimRequest } from './data-route';
import { fredObservations, isSimFredSeries } from './fred-series';
import { isoDay, parseIsoDay } from './sim-calendar';
import { xmlAnswer, xmlAttributes } from './sim-xml';

/** The one api_key FRED's simulator has registered (32 lower-case letters and digits, as FRED's keys). */
export const SIM_FRED_API_KEY = 'c0nvey0rf4edsim0000000000000000a';

const PATH = '/fred/series/observations';
const KEY_HELP = 'Read https://fred.stlouisfed.org/docs/api/api_key.html for more information.';
const MAX_LIMIT = 100_000;

type FileType = 'json' | 'xml';

/**
 * FRED's fred/series/observations: the observations of one series between observation_start
 * and observation_end, `limit` from `offset` (1-100000, 100000 by default), ascending or
 * descending by date, with `count` the number of all that match. Errors are FRED's: 400 with
 * {error_code, error_message} (XML `<error code message/>` unless file_type=json) for a
 * missing, malformed or unregistered api_key, an unknown series or a bad parameter.
 */
export const fredRoute: DataSourceRoute = {
  source: 'fred',
  secretParams: ['api_key'],
  serves: (pathname) => pathname === PATH,
  answer,
  malformed: (request) => ({
    status: 200,
    body: { realtime_start: isoDay(request.now.getTime()), count: 1, offset: 0, limit: MAX_LIMIT, data: [{ date: '2026-01-01', value: '1.0' }] },
  }),
};

function answer({ url, now }: SimRequest): SimAnswer {
  const q = url.searchParams;
  const fileType = q.get('file_type') ?? 'xml';
  if (fileType !== 'json' && fileType !== 'xml') return badRequest('xml', "Variable file_type is not one of the values: 'xml', 'json'.");
  const keyProblem = apiKeyProblem(q.get('api_key'));
  if (keyProblem) return badRequest(fileType, keyProblem);

  const seriesId = q.get('series_id');
  if (!seriesId) return badRequest(fileType, 'Variable series_id has not been set.');
  const today = isoDay(now.getTime());
  const start = q.get('observation_start') ?? '1776-07-04';
  const end = q.get('observation_end') ?? '9999-12-31';
  for (const [name, value] of [
    ['observation_start', start],
    ['observation_end', end],
  ] as const)
    if (parseIsoDay(value) === undefined) return badRequest(fileType, `Variable ${name} is not a valid date in the form YYYY-MM-DD.`);
  if (start > end) return badRequest(fileType, 'Variable observation_start can not be after variable observation_end.');
  const limit = integerParam(q.get('limit'), MAX_LIMIT);
  if (limit === undefined || limit < 1 || limit > MAX_LIMIT) return badRequest(fileType, `Variable limit is not between 1 and ${MAX_LIMIT}.`);
  const offset = integerParam(q.get('offset'), 0);
  if (offset === undefined) return badRequest(fileType, 'Variable offset is not a non-negative integer.');
  const sortOrder = q.get('sort_order') ?? 'asc';
  if (sortOrder !== 'asc' && sortOrder !== 'desc') return badRequest(fileType, "Variable sort_order is not one of the values: 'asc', 'desc'.");
  if (!isSimFredSeries(seriesId)) return badRequest(fileType, 'The series does not exist.');

  const matching = fredObservations(seriesId, start, end, now);
  if (sortOrder === 'desc') matching.reverse();
  const envelope = {
    realtime_start: today,
    realtime_end: today,
    observation_start: start,
    observation_end: end,
    units: q.get('units') ?? 'lin',
    output_type: 1,
    file_type: fileType,
    order_by: 'observation_date',
    sort_order: sortOrder,
    count: matching.length,
    offset,
    limit,
  };
  // Every observation is given today's real-time period, as FRED does when none is asked for.
  const observations = matching.slice(offset, offset + limit).map((o) => ({ realtime_start: today, realtime_end: today, ...o }));
  if (fileType === 'json') return { status: 200, body: { ...envelope, observations } };
  const rows = observations.map((o) => `  <observation${xmlAttributes(o)}/>`);
  return xmlAnswer(200, `<observations${xmlAttributes(envelope)}>\n${rows.join('\n')}\n</observations>`);
}

function apiKeyProblem(key: string | null): string | undefined {
  if (!key) return `Variable api_key has not been set.  ${KEY_HELP}`;
  if (!/^[a-z0-9]{32}$/.test(key)) return `The value for variable api_key is not a 32 character alpha-numeric lower-case string.  ${KEY_HELP}`;
  if (key !== SIM_FRED_API_KEY) return `The value for variable api_key is not registered.  ${KEY_HELP}`;
  return undefined;
}

function integerParam(text: string | null, fallback: number): number | undefined {
  if (text === null) return fallback;
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

function badRequest(fileType: FileType, message: string): SimAnswer {
  const text = `Bad Request.  ${message}`;
  if (fileType === 'json') return { status: 400, body: { error_code: 400, error_message: text } };
  return xmlAnswer(400, `<error${xmlAttributes({ code: 400, message: text })}/>`);
}
