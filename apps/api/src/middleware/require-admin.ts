import type { Principal } from '@conveyor/db';
import type { RequestHandler } from 'express';
import { HttpError } from '../http-error';

/** Lets only admin keys through; a tenant key gets 403 (the route exists, it is not theirs). */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  const principal = res.locals.principal as Principal;
  if (!principal.isAdmin) throw new HttpError(403, 'admin_only', 'This route needs an admin API key');
  next();
};
