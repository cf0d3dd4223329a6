import type http from 'node:http';

/** What a simulated source answers: a status, a JSON body (or raw text) and headers. */
export interface SimAnswer {
  status: number;
  /** Serialised as JSON unless it is a string, which is sent as it is. */
  body: unknown;
  headers?: Record<string, string>;
}

/** What a source's route is given: the request and the simulator's clock. */
export interface SimRequest {
  url: URL;
  headers: http.IncomingHttpHeaders;
  now: Date;
}

/**
 * One simulated public data source: the paths it serves, answered the way its real API
 * documents (status codes, JSON shapes, paging, error bodies). Its data is generated from the
 * clock, so that time passing brings new items and a window asked for twice gets the same ones.
 */
export interface DataSourceRoute {
  /** The source's name, as ingestion calls it: gdelt, reliefweb, fred, worldbank, comtrade. */
  source: string;
  /** True when this source serves the path (the real API's path, like /api/v2/doc/doc). */
  serves(pathname: string): boolean;
  answer(request: SimRequest): SimAnswer;
  /** A page of the right status and type but the wrong shape (the `malformed` fault). */
  malformed(request: SimRequest): SimAnswer;
  /** Query parameters and headers that carry secrets (api_key): kept out of the recorded requests. */
  secretParams?: readonly string[];
}
