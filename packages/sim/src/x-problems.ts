/**
 * X API v2 error bodies. Request-level errors are problem JSON (`title`, `detail`, `type`,
 * `status`); a lookup of a missing post is a 200 whose `errors` array names it.
 */
export interface XProblem {
  status: number;
  body: Record<string, unknown>;
}

const problem = (status: number, title: string, detail: string, type = 'about:blank'): XProblem => ({
  status,
  body: { title, detail, type, status },
});

export const unauthorized = () => problem(401, 'Unauthorized', 'Unauthorized');
export const tooManyRequests = () => problem(429, 'Too Many Requests', 'Too Many Requests');
export const duplicateContent = () => problem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.');
export const forbidden = (detail: string) => problem(403, 'Forbidden', detail);
export const notFoundRoute = () => problem(404, 'Not Found Error', 'Sorry, that page does not exist.');
const SERVER_TITLES: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
/** An injected failure: 5xx with its reason phrase (any other status gets the same shape, titled Internal Server Error). */
export const serverError = (status: number) =>
  problem(status, SERVER_TITLES[status] ?? 'Internal Server Error', SERVER_TITLES[status] ?? 'Internal Server Error');

/** A parameter X rejects: 400 with the parameter's own message under `errors`. */
export const invalidRequest = (message: string, parameter?: string): XProblem => ({
  status: 400,
  body: {
    errors: [parameter ? { parameters: { [parameter]: [] }, message } : { message }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
  },
});

/** X's 400 for a post over 280 weighted characters (its detail points to the twitter-text rules). */
export const textTooLong = () => problem(400, 'Bad Request', 'Your Tweet text is too long.');

/** One entry of a lookup's `errors` array for a post that does not exist (or was deleted). */
export const postNotFound = (id: string, parameter = 'id') => ({
  value: id,
  detail: `Could not find tweet with ${parameter}: [${id}].`,
  title: 'Not Found Error',
  resource_type: 'tweet',
  parameter,
  resource_id: id,
  type: 'https://api.twitter.com/2/problems/resource-not-found',
});

/** One entry of a lookup's `errors` for a field the caller may not read (another user's non_public_metrics). */
export const fieldNotAuthorized = (id: string, field: string) => ({
  value: field,
  detail: `Sorry, you are not authorized to access '${field}' on the Tweet with ids [${id}].`,
  title: 'Field Authorization Error',
  resource_type: 'tweet',
  parameter: field,
  resource_id: id,
  type: 'https://api.twitter.com/2/problems/not-authorized-for-field',
});
