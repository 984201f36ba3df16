// main.js — the entry point: every module declares its routes, then the router starts.
import { start, route, navigate, session, loading } from './core.js';
import * as enterprise from './enterprise.js';
import * as staff from './staff.js';
import * as admin from './admin.js';

for (const m of [enterprise, staff, admin]) {
  try {
    if (typeof m.register === 'function') m.register();
  } catch (err) {
    console.error('register() failed', err);
  }
}

// The links in e-mails and SMS (/tickets/{id}, /tickets/{id}/rate) arrive as #/t/…: after
// sign-in they open the ticket in the page of the reader's role.
const ticketPage = { enterprise: '#/e/tickets/', cadre: '#/c/tickets/', dispatcher: '#/d/tickets/', admin: '#/d/tickets/' };
function ticketLink(params, rate) {
  const role = session.role();
  const base = ticketPage[role];
  const to = base ? `${base}${encodeURIComponent(params.id)}${rate && role === 'enterprise' ? '/rate' : ''}` : '#/login';
  setTimeout(() => navigate(to, { replace: true }), 0);
  return loading();
}
route('#/t/:id', (p) => ticketLink(p, false));
route('#/t/:id/rate', (p) => ticketLink(p, true));

start();
