// staff/tickets.js — the list each staff desk came from (#/c or #/d, with its tab and search):
// the ticket page's back button, and a ticket that leaves the reader's hands, return to it.

export const lastList = { cadre: '#/c', dispatch: '#/d' };
