// staff/conflicts.js — how the ticket page knows someone else acted first: the server's 409
// (concurrent_update, illegal_transition) and 412 (version_mismatch) answers (isConflict), and
// StaleError, which closes an action's dialog so that the page reloads.

import { ApiError } from '../core/errors.js';

export class StaleError extends Error {
  constructor() { super('stale'); this.closeDialog = true; this.stale = true; }
}

export function isConflict(err) {
  return err instanceof ApiError && ((err.status === 409 && (err.code === 'concurrent_update' || err.code === 'illegal_transition'))
    || (err.status === 412 && err.code === 'version_mismatch'));
}
