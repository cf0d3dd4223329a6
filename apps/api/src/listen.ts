import type http from 'node:http';
import type { Express } from 'express';

/** Resolves once the app listens; rejects (e.g. port in use) so that the start-up fails. */
export function listen(app: Express, port: number, host: string): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    // Express 5 also calls this back, with the error, when listening fails.
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}
