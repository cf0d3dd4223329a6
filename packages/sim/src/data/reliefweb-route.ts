import { asList, type BracketValue, parseBracketParams } from './bracket-params';
import type { DataSourceRoute, SimAnswer, SimRequest } from './data-route';
import { ReliefwebBadRequest, passesFilter, rangeBound, selectFields, sortReports } from './reliefweb-query';
import { RELIEFWEB_ARCHIVE_START_MS, type ReliefwebReport, reliefwebReportsBetween } from './reliefweb-reports';

const MAX_LIMIT = 1000;
const UNBOUNDED_LIST_MS = 30 * 86_400_000;
/**
 * Appnames ReliefWeb has not approved: since 1 November 2025 every call needs a pre-approved
 * appname. The simulator approves any other, so local runs work with the configured default;
 * the documentation's own examples stand for an unapproved one.
 */
const UNAPPROVED_APPNAMES = new Set(['apidoc', 'replace-with-a-domain-or-app-name', 'test']);

const failure = (status: number, type: string, message: string): SimAnswer => ({ status, body: { time: 1, error: { type, status, message } } });

/**
 * ReliefWeb API v2 reports list: GET /v2/reports?appname=…&limit=…&offset=…&filter[…]=…
 * &sort[]=…&fields[include][]=…, answered {time, href, links, totalCount, count, data:[{id,
 * score, fields, href}]}; paging by offset and limit (at most 1000). Errors are ReliefWeb's
 * {time, error: {type, status, message}}: 400 for a bad parameter, 403 for a missing or
 * unapproved appname.
 */
export const reliefwebRoute: DataSourceRoute = {
  source: 'reliefweb',
  serves: (pathname) => pathname === '/v2/reports',
  answer(request: SimRequest): SimAnswer {
    const params = parseBracketParams(request.url.searchParams);
    const appname = typeof params.appname === 'string' ? params.appname.trim() : '';
    if (!appname || UNAPPROVED_APPNAMES.has(appname.toLowerCase())) {
      return failure(
        403,
        'AccessDeniedHttpException',
        'Access denied: the appname parameter must be an appname approved by ReliefWeb. Request one at https://apidoc.reliefweb.int/parameters#appname',
      );
    }
    try {
      return list(request, params);
    } catch (error) {
      if (error instanceof ReliefwebBadRequest) return failure(400, 'BadRequestHttpException', error.message);
      throw error;
    }
  },
  malformed: () => ({ status: 200, body: { time: 1, totalCount: 'many', data: { reports: [] } } }),
};

function list(request: SimRequest, params: Record<string, BracketValue>): SimAnswer {
  const limit = integerParam(params.limit, 10, 'Invalid "limit" specified. Valid values are between 0 and 1000');
  if (limit > MAX_LIMIT) throw new ReliefwebBadRequest('Invalid "limit" specified. Valid values are between 0 and 1000');
  const offset = integerParam(params.offset, 0, 'Invalid "offset" specified. It must be a positive integer');
  const fields = params.fields && typeof params.fields === 'object' && !Array.isArray(params.fields) ? params.fields : {};
  const include = asList(fields.include).map(String);
  const profile = typeof params.profile === 'string' ? params.profile : 'minimal';
  if (!['minimal', 'list', 'full'].includes(profile))
    throw new ReliefwebBadRequest(`Invalid profile '${profile}'. Valid values are 'minimal', 'list', 'full'.`);
  const sort = params.sort ?? (params.preset === 'latest' ? ['date.created:desc'] : undefined);

  let reports = candidates(params.filter, request.now.getTime());
  if (params.filter !== undefined) reports = reports.filter((report) => passesFilter(params.filter!, report));
  const search = typeof params.query === 'object' && !Array.isArray(params.query) ? String(params.query.value ?? '') : '';
  if (search) reports = reports.filter((report) => containsWords(String(report.fields.title), search));
  reports = sortReports(reports, sort);

  const base = `http://${request.headers.host ?? 'api.reliefweb.int'}`;
  const page = reports.slice(offset, offset + limit);
  const href = (atOffset: number) => {
    const url = new URL(request.url.pathname + request.url.search, base);
    url.searchParams.set('offset', String(atOffset));
    return url.toString();
  };
  const links: Record<string, { href: string }> = { self: { href: href(offset) } };
  if (offset + page.length < reports.length) links.next = { href: href(offset + page.length) };
  if (offset > 0) links.prev = { href: href(Math.max(0, offset - limit)) };
  return {
    status: 200,
    body: {
      time: 3,
      href: href(offset),
      links,
      totalCount: reports.length,
      count: page.length,
      data: page.map((report) => ({
        id: String(report.id),
        score: 1,
        fields: selectFields(report, profile, include),
        href: `${base}/v2/reports/${report.id}`,
      })),
    },
  };
}

/**
 * The reports a filter may select: those of its date.created range when it has one (at the
 * top, or in top-level AND conditions). Without one, the simulator lists the last 30 days
 * only, where ReliefWeb would list its whole archive (a million reports here, too slow to
 * build for each request); a range may reach back to the simulated archive's start.
 */
function candidates(filter: BracketValue | undefined, nowMs: number): ReliefwebReport[] {
  let fromMs = RELIEFWEB_ARCHIVE_START_MS;
  let toMs = nowMs + 1;
  let bounded = false;
  const conditions =
    filter && typeof filter === 'object' && !Array.isArray(filter)
      ? filter.conditions && String(filter.operator ?? 'AND').toUpperCase() === 'AND'
        ? asList(filter.conditions)
        : [filter]
      : [];
  for (const condition of conditions) {
    if (typeof condition !== 'object' || Array.isArray(condition) || condition.field !== 'date.created' || condition.negate !== undefined) continue;
    const value = condition.value;
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const from = rangeBound('date.created', value, 'from');
    const to = rangeBound('date.created', value, 'to');
    if (from !== undefined) fromMs = Math.max(fromMs, from);
    if (to !== undefined) toMs = Math.min(toMs, to + 1);
    bounded ||= from !== undefined;
  }
  if (!bounded) fromMs = Math.max(fromMs, nowMs - UNBOUNDED_LIST_MS);
  return fromMs < toMs ? reliefwebReportsBetween(fromMs, toMs, nowMs) : [];
}

function integerParam(value: BracketValue | undefined, fallback: number, message: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new ReliefwebBadRequest(message);
  return Number(value);
}

function containsWords(title: string, search: string): boolean {
  const lower = title.toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .some((word) => lower.includes(word));
}
