// core/allowed.js — what the reader may do to a ticket now, as the server says: every ticket the
// API returns carries allowed_actions, computed by the workflow's rules for this reader (accept,
// reject, assign, sign, return, progress, urge, resolve, revisit, close, withdraw, comment,
// extension_request, extension_approve, extension_deny). Pages draw their action buttons from it
// and from nothing else: may(ticket, action).

export function may(ticket, action) {
  return !!ticket && Array.isArray(ticket.allowed_actions) && ticket.allowed_actions.includes(action);
}
