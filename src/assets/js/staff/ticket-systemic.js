// staff/ticket-systemic.js — the 所属症结 section of a ticket's staff page: the systemic
// issues the ticket is linked to that the reader sees (each opens the issue, with its status
// and counts); for dispatchers and admins, a choice of the issues not yet solved to link it to,
// and 取消关联. Read on its own (GET /tickets/{id}/systemic-issues), so the ticket's own answer
// carries nothing of it. A cadre with nothing linked sees no section.
//
// Test ids (stable, for tests/e2e):
//   ticket-systemic ticket-systemic-item (data-id) ticket-systemic-unlink ticket-systemic-pick
//   ticket-systemic-link

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { loading, errorState } from '../core/states.js';
import { systemicTag, countsText, issueHref } from '../desk/systemic.js';

/** The section for ticket `ticketId` on the `mode` desk ('cadre' or 'dispatch'). */
export function systemicSection({ ticketId, mode }) {
  const canLink = mode !== 'cadre';
  const role = mode === 'cadre' ? 'cadre' : 'dispatcher';
  const box = h('div', null, loading());
  const card = h('section', { class: 'card', 'data-testid': 'ticket-systemic' },
    h('h3', { class: 'card-title' }, t('sy.sec.onTicket')), box);
  const path = `/tickets/${encodeURIComponent(ticketId)}/systemic-issues`;

  async function run(call, done) {
    try { await call(); toast(done, 'success'); } catch (err) { toast(errorMessage(err), 'error'); }
    load();
  }

  async function load() {
    try {
      const [mine, open] = await Promise.all([
        api('GET', path).then((r) => r.items || []),
        canLink ? api('GET', '/systemic-issues', null, { query: { status: 'open,addressing', limit: 100 } }).then((r) => r.items || []) : [],
      ]);
      if (!mine.length && !canLink) { card.classList.add('hidden'); return; }
      card.classList.remove('hidden');
      const linkedIds = new Set(mine.map((x) => x.id));
      const items = mine.length ? h('ul', { class: 'sy-on-ticket' }, mine.map((x) => h('li', { class: 'sy-on-ticket-item', 'data-testid': 'ticket-systemic-item', 'data-id': x.id },
        h('a', { href: issueHref(x.id, role), class: 'sy-on-ticket-link' },
          h('span', { class: 'sy-ticket-title' }, x.title), systemicTag(x.status)),
        h('div', { class: 'muted sf-small' }, countsText(x)),
        canLink ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'ticket-systemic-unlink',
          onclick: () => run(() => api('DELETE', `/systemic-issues/${encodeURIComponent(x.id)}/tickets/${encodeURIComponent(ticketId)}`), t('sy.unlinked')) }, t('sy.unlink')) : null)))
        : h('div', { class: 'muted sf-small' }, t('sy.onTicketNone'));
      const choices = open.filter((x) => !linkedIds.has(x.id));
      let picker = null;
      if (canLink && !choices.length) {
        picker = h('div', { class: 'muted sf-small sy-none-to-link' }, t('sy.noOpenIssues'));
      } else if (canLink) {
        const sel = h('select', { class: 'select', 'data-testid': 'ticket-systemic-pick', 'aria-label': t('sy.pickIssue') },
          h('option', { value: '' }, t('sy.pickIssue')),
          choices.map((x) => h('option', { value: x.id }, x.title)));
        picker = h('form', { class: 'toolbar sy-link-row', onsubmit: (e) => {
          e.preventDefault();
          if (!sel.value) { sel.focus(); return; }
          run(() => api('POST', `/systemic-issues/${encodeURIComponent(sel.value)}/tickets`, { ticket_id: ticketId }), t('sy.linked'));
        } }, sel, h('button', { type: 'submit', class: 'btn btn-ghost btn-small', 'data-testid': 'ticket-systemic-link' }, icon('plus'), t('sy.linkToIssue')));
      }
      box.replaceChildren(items, picker);
    } catch (err) {
      box.replaceChildren(errorState(err, load));
    }
  }
  load();
  return card;
}
