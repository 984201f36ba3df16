// staff/tickets.js — what the staff's list and ticket pages share: the list each desk came from
// (the ticket page's back button returns to it, tab and search kept) and whether a ticket is the
// reader's own.

export const lastList = { cadre: '#/c', dispatch: '#/d' };

export function isMine(tk, me) { return tk.assignee_id && me && tk.assignee_id === me.id; }
