import type { RequestHandler } from 'express';
import { match } from 'path-to-regexp';
import { HttpError } from './http-error';
import { hasQueryString, queryError, unknownParameter } from './query';

/** What the OpenAPI document says of one path: its methods, and which of them take a query. */
interface PathEntry {
  matches: (path: string) => boolean;
  methods: Map<string, { hasQuery: boolean }>;
}

/** The part of an OpenAPI document read here: its paths, relative to its first server's URL. */
interface OpenApiPaths {
  servers?: { url: string }[];
  paths?: object;
}
type Operation = { parameters?: { in?: string }[] } | undefined;

/**
 * The API's routes as the OpenAPI document lists them (a test keeps that list equal to what
 * Express serves), so the rules that hold for every route are written once: a known path with
 * the wrong method is a 405 with Allow, and a route that takes no query refuses one.
 */
export class RouteTable {
  private readonly entries: PathEntry[];

  constructor(document: OpenApiPaths, extraGets: string[] = []) {
    const base = document.servers?.[0]?.url ?? '';
    const paths = Object.entries((document.paths ?? {}) as Record<string, Record<string, Operation>>).map(([path, operations]) => {
      const methods = new Map<string, { hasQuery: boolean }>();
      for (const [method, operation] of Object.entries(operations)) {
        methods.set(method.toUpperCase(), { hasQuery: (operation?.parameters ?? []).some((p) => p.in === 'query') });
      }
      return { path: `${base}${path}`, methods };
    });
    for (const path of extraGets) paths.push({ path, methods: new Map([['GET', { hasQuery: false }]]) });
    this.entries = paths.map(({ path, methods }) => {
      const matcher = match(path.replace(/\{(\w+)\}/g, ':$1'), { decode: false });
      return { matches: (p: string) => matcher(p) !== false, methods };
    });
  }

  /** Every method some route serves at this path (HEAD wherever GET is), or [] for an unknown path. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const entry of this.entries) if (entry.matches(path)) for (const method of entry.methods.keys()) methods.add(method);
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }

  /** True when the route this method and path reach declares query parameters. */
  takesQuery(method: string, path: string): boolean {
    const wanted = method === 'HEAD' ? 'GET' : method;
    return this.entries.some((entry) => entry.matches(path) && entry.methods.get(wanted)?.hasQuery);
  }

  /** 405 with Allow for a known path asked with another method; unknown paths go on (to the 404). */
  methodNotAllowed(): RequestHandler {
    return (req, _res, next) => {
      const allowed = this.allowed(req.path);
      if (allowed.length === 0 || allowed.includes(req.method)) return next();
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; use ${allowed.join(', ')}`, undefined, {
        Allow: allowed.join(', '),
      });
    };
  }

  /**
   * Refuses any query string on a route that takes none, with the same 400 a route with a
   * query schema gives for an unknown parameter. Mount where req.path is the full path.
   */
  refuseUnexpectedQuery(base: string): RequestHandler {
    return (req, _res, next) => {
      if (!hasQueryString(req)) return next();
      const names = Object.keys(req.query as object);
      if (names.length === 0 || this.takesQuery(req.method, `${base}${req.path}`)) return next();
      throw queryError(names.map((name) => unknownParameter(name, [])));
    };
  }
}
