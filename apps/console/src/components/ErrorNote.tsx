import { ApiError } from '../api/http';

/** The API's own words for a failed call: its message, code and the fields it names. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  return (
    <div className="error-note" role="alert">
      <strong>{apiError ? `${apiError.status || 'no answer'} ${apiError.code}` : 'error'}</strong> {(error as Error).message}
      {apiError && apiError.issues.length > 0 && (
        <ul>
          {apiError.issues.map((issue) => (
            <li key={issue.path + issue.message}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
