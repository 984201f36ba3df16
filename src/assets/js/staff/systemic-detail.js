// staff/systemic-detail.js — one systemic issue (#/c/systemic/:id, #/d/systemic/:id): its
// title, status, lead department and the requests and enterprises behind it; the analysis and
// the measures; the status buttons; the linked requests (each opens its ticket; 取消关联 for
// dispatchers and admins); linking by a request's number; and the requests like it to link
// (from the words of its title and analysis). What the reader may do comes with the issue
// (`allowed`). Edits carry If-Match: when someone else changed it first, the page says so and
// reloads.
//
// Test ids (stable, for tests/e2e):
//   systemic-detail systemic-title systemic-status systemic-lead systemic-counts
//   systemic-analysis systemic-measures systemic-edit systemic-edit-measures systemic-set-status
//   (data-status) systemic-tickets systemic-ticket (data-id) systemic-unlink systemic-not-listed
//   systemic-link-number systemic-link-submit systemic-suggested systemic-suggestion (data-id)
//   systemic-suggestion-link

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { loading, empty, errorState } from '../core/states.js';
import { confirmDialog } from '../core/dialogs.js';
import { fmtDateTime, statusTag } from '../core/format.js';
import { directory, nameMap } from '../desk/directory.js';
import { SYSTEMIC_STATUSES, systemicTag, countsText } from '../desk/systemic.js';
import { issueForm } from './systemic-form.js';

function kv(label, value, testid) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', { class: 'sf-kv' }, h('dt', null, label), h('dd', { 'data-testid': testid }, value));
}

function ticketRow(tk, base, extra) {
  return h('li', { class: 'sy-ticket', 'data-testid': extra.testid, 'data-id': tk.id },
    h('a', { class: 'sy-ticket-link', href: `${base}/tickets/${encodeURIComponent(tk.id)}` },
      h('span', { class: 'sf-card-no' }, tk.number),
      h('span', { class: 'sy-ticket-title' }, tk.title),
      statusTag(tk.status)),
    extra.button || null,
    extra.below || null);
}

export async function systemicDetailPage({ id, mode }) {
  const base = mode === 'cadre' ? '#/c' : '#/d';
  const body = h('div', { class: 'detail sf-detail sy-detail', 'data-testid': 'systemic-detail' }, loading());
  let issue = null;

  const may = (action) => !!issue && (issue.allowed || []).includes(action);
  const ifMatch = () => ({ headers: { 'If-Match': `"${issue.version}"` } });

  /** Runs a write; on 412/409 says someone else changed it and reloads. */
  async function write(run, done) {
    try {
      await run();
      if (done) toast(done, 'success');
    } catch (err) {
      if (err instanceof ApiError && (err.status === 412 || err.code === 'concurrent_update')) toast(t('sy.changed'), 'error');
      else toast(errorMessage(err), 'error');
    }
    await reload();
  }

  async function reload() {
    try {
      const [detail, depts] = await Promise.all([
        api('GET', `/systemic-issues/${encodeURIComponent(id)}`),
        directory.departments().catch(() => []),
      ]);
      issue = detail;
      draw(detail, nameMap(depts));
    } catch (err) {
      body.replaceChildren(errorState(err, reload));
    }
  }

  function draw(it, depts) {
    const head = h('section', { class: 'card sf-head' },
      h('div', { class: 'sf-head-top' },
        h('span', { class: 'sy-counts', 'data-testid': 'systemic-counts' }, countsText(it)),
        systemicTag(it.status)),
      h('h2', { class: 'sf-head-title', 'data-testid': 'systemic-title' }, it.title),
      h('dl', { class: 'sf-kvs' },
        kv(t('sy.lead'), depts.get(it.lead_department_id) || '—', 'systemic-lead'),
        kv(t('sy.createdAt'), fmtDateTime(it.created_at)),
        kv(t('sy.solvedAt'), it.solved_at ? fmtDateTime(it.solved_at) : null)),
      may('edit') ? h('div', { class: 'sy-head-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'systemic-edit',
          onclick: async () => { if (await issueForm({ issue })) { toast(t('sy.saved'), 'success'); reload(); } } }, icon('edit'), t('sy.edit'))) : null);

    const statusCard = may('change_status') ? h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, t('sy.sec.status')),
      h('div', { class: 'btn-row sy-status-row' }, SYSTEMIC_STATUSES.map((s) => h('button', {
        type: 'button', class: ['btn', 'btn-small', s === it.status ? 'btn-primary' : 'btn-ghost'], 'data-testid': 'systemic-set-status', 'data-status': s,
        'aria-pressed': s === it.status ? 'true' : 'false', disabled: s === it.status,
        onclick: () => write(() => api('PATCH', `/systemic-issues/${encodeURIComponent(id)}`, { status: s }, ifMatch()), t('sy.statusChanged', { status: t(`sy.status.${s}`) })),
      }, t(`sy.status.${s}`))))) : null;

    const analysis = h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, t('sy.sec.analysis')),
      h('div', { class: 'sf-text', 'data-testid': 'systemic-analysis' }, it.analysis));
    const measures = h('section', { class: 'card' },
      h('h3', { class: 'card-title sy-card-title' }, h('span', null, t('sy.sec.measures')),
        may('edit_measures') && !may('edit') ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'systemic-edit-measures',
          onclick: async () => { if (await issueForm({ issue, measuresOnly: true })) { toast(t('sy.saved'), 'success'); reload(); } } }, icon('edit'), t('sy.editMeasures')) : null),
      it.measures ? h('div', { class: 'sf-text', 'data-testid': 'systemic-measures' }, it.measures)
        : h('div', { class: 'muted sf-small', 'data-testid': 'systemic-measures' }, t('sy.noMeasures')));

    const canLink = may('link');
    const tickets = it.tickets || [];
    const linked = h('section', { class: 'card', 'data-testid': 'systemic-tickets' },
      h('h3', { class: 'card-title' }, t('sy.sec.tickets', { n: it.requests ?? tickets.length })),
      tickets.length ? h('ul', { class: 'sy-tickets' }, tickets.map((tk) => ticketRow(tk, base, {
        testid: 'systemic-ticket',
        button: canLink ? h('button', { type: 'button', class: 'btn btn-ghost btn-small sy-unlink', 'data-testid': 'systemic-unlink',
          onclick: async () => {
            if (!await confirmDialog(t('sy.unlinkConfirm', { number: tk.number }), { danger: true, okText: t('sy.unlink') })) return;
            write(() => api('DELETE', `/systemic-issues/${encodeURIComponent(id)}/tickets/${encodeURIComponent(tk.id)}`), t('sy.unlinked'));
          } }, t('sy.unlink')) : null,
      }))) : h('div', { class: 'muted sf-small' }, t('sy.noTickets')),
      it.tickets_not_listed ? h('p', { class: 'muted sf-small', 'data-testid': 'systemic-not-listed' }, t('sy.notListed', { n: it.tickets_not_listed })) : null,
      canLink ? linkByNumber() : null);

    const suggested = canLink ? suggestions() : null;
    body.replaceChildren(
      h('div', { class: 'sf-detail-head' }, head),
      h('aside', { class: 'sf-detail-side' }, statusCard, measures),
      h('div', { class: 'sf-detail-main' }, analysis, linked, suggested));
  }

  function linkByNumber() {
    const input = h('input', { type: 'text', class: 'input', maxlength: '32', placeholder: t('sy.numberPlaceholder'), 'aria-label': t('sy.linkByNumber'), 'data-testid': 'systemic-link-number', autocomplete: 'off' });
    return h('form', { class: 'sy-link-form', onsubmit: (e) => {
      e.preventDefault();
      const number = input.value.trim();
      if (!number) { input.focus(); return; }
      write(() => api('POST', `/systemic-issues/${encodeURIComponent(id)}/tickets`, { number }), t('sy.linked'));
    } },
    h('label', { class: 'sf-small muted' }, t('sy.linkByNumber')),
    h('div', { class: 'toolbar sy-link-row' }, input, h('button', { type: 'submit', class: 'btn btn-ghost btn-small', 'data-testid': 'systemic-link-submit' }, t('sy.link'))));
  }

  function suggestions() {
    const box = h('div', null, loading());
    const card = h('section', { class: 'card', 'data-testid': 'systemic-suggested' },
      h('h3', { class: 'card-title' }, t('sy.sec.suggested')),
      h('p', { class: 'muted sf-small' }, t('sy.suggestedHint')),
      box);
    api('GET', `/systemic-issues/${encodeURIComponent(id)}/suggested`, null, { query: { limit: 10 } }).then((r) => {
      const items = r.items || [];
      box.replaceChildren(items.length ? h('ul', { class: 'sy-tickets' }, items.map((s) => ticketRow(s, base, {
        testid: 'systemic-suggestion',
        below: (s.shared_words || []).length ? h('div', { class: 'muted sf-small sy-shared' }, t('sy.shared', { words: s.shared_words.join('、') })) : null,
        button: h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'systemic-suggestion-link',
          onclick: () => write(() => api('POST', `/systemic-issues/${encodeURIComponent(id)}/tickets`, { ticket_id: s.id }), t('sy.linked')) }, icon('plus'), t('sy.link')),
      }))) : empty(t('sy.noSuggested')));
    }, (err) => box.replaceChildren(errorState(err)));
    return card;
  }

  await reload();
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), onclick: () => reload() }, icon('refresh'));
  return page({ title: t('sy.detail'), back: () => navigate(`${base}/systemic`), actions: refreshBtn, body, wide: true, className: 'sf-page sf-detailpage sy-detailpage' });
}
