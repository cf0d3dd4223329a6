import { Conveyor } from '@conveyor/client';

/** The typed client of the real API listening on this loopback port, with one key (a tenant's, or an admin key). */
export const clientOf = (apiPort: number, apiKey: string): Conveyor => new Conveyor({ baseUrl: `http://127.0.0.1:${apiPort}`, apiKey });

/** An answer of `conveyor.request`, read without a type: these tests check the fields they use. */
export type Json = Record<string, any>;
