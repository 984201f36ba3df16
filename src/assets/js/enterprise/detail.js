// enterprise/detail.js — one of the enterprise's requests (#/e/tickets/:id): its status and steps,
// the outcome and rating, the content with photos, the timeline, and the actions its
// allowed_actions offer: 补充说明 (comment), 撤回 (withdraw), 评价 (revisit).
//
// Test ids (stable, for tests/e2e):
//   ticket-created ticket-status ticket-number detail-title ticket-kind
//   ticket-category-name ticket-due ticket-department ticket-description-text ticket-resolution
//   ticket-rating ticket-reject-reason ticket-merged steps attachments timeline (core); the actions: supplement-open
//   (comment) withdraw (withdraw) rate-open and rate-action (revisit)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { refresh } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { promptDialog } from '../core/dialogs.js';
import { cell, cells } from '../core/controls.js';
import { fmtDateTime, fmtDue, statusTag, kindTag, ratingTag } from '../core/format.js';
import { timeline } from '../core/timeline.js';
import { attachmentsView } from '../core/attachments.js';
import { may } from '../core/allowed.js';
import { OPEN, departments, categories } from './tickets.js';

function steps(tk) {
  const names = ['steps.file', 'steps.accept', 'steps.assign', 'steps.handle', 'steps.resolve', 'steps.revisit'];
  const at = { submitted: 0, accepted: 1, assigned: 2, in_progress: 3, resolved: 4, closed: 5 }[tk.status];
  if (at === undefined) return null;
  return h('ol', { class: 'steps', 'data-testid': 'steps', 'aria-label': t('detail.progress') },
    names.map((n, i) => {
      const done = i < at || tk.status === 'closed';
      const cur = i === at && !done;
      return h('li', { class: ['step', done && 'done', cur && 'current'], 'aria-current': cur ? 'step' : null },
        h('span', { class: 'step-dot', 'aria-hidden': 'true' }, done ? icon('check') : String(i + 1)), h('span', { class: 'step-name' }, t(n)));
    }));
}

function lastNote(tk, action) {
  const ev = (tk.events || []).filter((e) => e.action === action).pop();
  return ev ? ev.note : null;
}

export async function detailPage(params, query) {
  const id = params.id;
  const [tk, depts, cats] = await Promise.all([
    api('GET', `/tickets/${encodeURIComponent(id)}`),
    departments(),
    categories().catch(() => []),
  ]);
  const me = session.user() || {};
  const catName = (cats.find((c) => c.id === tk.category_id) || {}).name || '';
  const open = OPEN.includes(tk.status);
  const due = open && tk.due_at ? fmtDue(tk.due_at) : null;
  const allAtts = tk.attachments || [];
  // Names of the people on the timeline come with the detail (`people`); their role from the events they acted in.
  const people = tk.people || {};
  const roleOf = new Map((tk.events || []).filter((e) => e.actor_id && e.actor_role).map((e) => [e.actor_id, e.actor_role]));
  const actorName = (uid) => {
    if (uid && uid === me.id) return t('detail.me');
    const name = people[uid];
    if (!name) return undefined; // core falls back to the role label
    const role = roleOf.get(uid);
    return role ? `${name}（${t(`role.${role}`)}）` : name;
  };
  const commentAuthor = (c) => {
    if (c.author_id === me.id) return t('detail.myComment');
    const label = c.author_id === tk.submitter_id || roleOf.get(c.author_id) === 'enterprise' ? t('detail.otherComment') : t('detail.staffComment');
    const name = people[c.author_id];
    return name ? `${name} · ${label}` : label;
  };

  const head = h('div', { class: 'card ticket-head' },
    h('div', { class: 'th-row' }, h('span', { 'data-testid': 'ticket-status' }, statusTag(tk.status)), h('span', { 'data-testid': 'ticket-kind' }, kindTag(tk.kind)),
      tk.reopen_count ? h('span', { class: 'tag tag-warn' }, t('detail.reopened', { n: tk.reopen_count })) : null),
    h('h2', { class: 'th-title', 'data-testid': 'detail-title' }, tk.title),
    // A merged request shows the steps of the request it follows.
    steps(tk.status === 'merged' && tk.merged_into ? tk.merged_into : tk));

  const info = cells(
    cell({ label: t('detail.number'), value: h('span', { class: 'mono', 'data-testid': 'ticket-number' }, tk.number) }),
    cell({ label: t('detail.category'), value: h('span', { 'data-testid': 'ticket-category-name' }, catName) }),
    cell({ label: t('detail.filedAt'), value: fmtDateTime(tk.created_at) }),
    tk.department_id ? cell({ label: t('detail.department'), value: h('span', { 'data-testid': 'ticket-department' }, depts.get(tk.department_id) || '') }) : null,
    due ? cell({ label: t('detail.due'), value: h('span', { class: ['due', due.cls], 'data-testid': 'ticket-due' }, fmtDateTime(tk.due_at), h('br'), due.text) }) : null,
    tk.contact_name || tk.contact_phone ? cell({ label: t('detail.contact'), value: [tk.contact_name || '', ' ', tk.contact_phone || ''] }) : null);

  const blocks = [];
  if (query.created) blocks.push(h('div', { class: 'notice notice-success', role: 'status', 'data-testid': 'ticket-created' }, icon('check'), h('span', null, t('detail.created'))));
  blocks.push(head);
  if (tk.status === 'merged' && tk.merged_into) {
    const p = tk.merged_into;
    const pdue = OPEN.includes(p.status) && p.due_at ? fmtDue(p.due_at) : null;
    blocks.push(h('div', { class: 'notice', 'data-testid': 'ticket-merged' },
      h('div', null, t('detail.merged', { number: p.number })),
      h('div', null, t('detail.mergedStatus'), '：', statusTag(p.status),
        pdue ? h('span', { class: ['due', pdue.cls] }, ' ', fmtDateTime(p.due_at), ' ', pdue.text) : null)));
  }

  if (may(tk, 'revisit')) {
    blocks.push(h('div', { class: 'notice notice-cta' },
      h('span', null, t('detail.rateCta')),
      h('a', { class: 'btn btn-primary btn-small', href: `#/e/tickets/${encodeURIComponent(tk.id)}/rate`, 'data-testid': 'rate-open' }, t('detail.rateNow'))));
  }
  if (tk.status === 'rejected') {
    const reason = lastNote(tk, 'reject');
    if (reason) blocks.push(h('section', { class: 'card card-danger' }, h('h3', { class: 'card-title' }, t('detail.rejectReason')), h('p', { class: 'pre', 'data-testid': 'ticket-reject-reason' }, reason)));
  }
  if (tk.status === 'withdrawn') {
    const reason = lastNote(tk, 'withdraw');
    if (reason) blocks.push(h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('detail.withdrawReason')), h('p', { class: 'pre' }, reason)));
  }
  if (tk.resolution && (tk.status === 'resolved' || tk.status === 'closed' || tk.reopen_count)) {
    blocks.push(h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, OPEN.includes(tk.status) ? t('detail.lastResult') : t('detail.result')),
      h('p', { class: 'pre', 'data-testid': 'ticket-resolution' }, tk.resolution),
      tk.kind === 'suggestion' && tk.adopted !== null && tk.adopted !== undefined
        ? h('p', null, h('span', { class: ['tag', tk.adopted ? 'tag-closed-ok' : 'tag-muted'] }, tk.adopted ? t('detail.adopted') : t('detail.notAdopted'))) : null));
  }
  if (tk.rating || (tk.revisits || []).length) {
    const last = (tk.revisits || []).slice(-1)[0];
    blocks.push(h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, OPEN.includes(tk.status) ? t('detail.lastRating') : t('detail.rating')),
      h('p', { 'data-testid': 'ticket-rating' }, ratingTag(tk.rating || (last && last.rating))),
      last && last.comment ? h('p', { class: 'pre muted' }, last.comment) : null));
  } else if (tk.no_response) {
    blocks.push(h('p', { class: 'notice' }, t('detail.noResponse')));
  }

  blocks.push(info);
  blocks.push(h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('detail.content')),
    h('p', { class: 'pre', 'data-testid': 'ticket-description-text' }, tk.description),
    attachmentsView(allAtts.filter((a) => !a.comment_id && a.event_seq == null))));
  blocks.push(h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('detail.progress')),
    timeline(tk.events, {
      comments: tk.comments || [],
      attachments: allAtts,
      deptName: (d) => depts.get(d),
      userName: actorName,
      commentAuthor,
    })));

  const actionsBar = [];
  // The buttons: what the server allows this reader now (allowed_actions).
  if (may(tk, 'comment')) {
    actionsBar.push(h('a', { class: 'btn btn-ghost', href: `#/e/tickets/${encodeURIComponent(tk.id)}/supplement`, 'data-testid': 'supplement-open' }, t('detail.supplement')));
  }
  if (may(tk, 'withdraw')) {
    actionsBar.push(h('button', { type: 'button', class: 'btn btn-ghost btn-danger-text', 'data-testid': 'withdraw', onclick: async (e) => {
      const btn = e.currentTarget;
      const reason = await promptDialog(t('detail.withdrawPrompt'), { multiline: true, placeholder: t('detail.withdrawPh'), maxLength: 2000, okText: t('detail.withdraw'), danger: true });
      if (reason === null) return;
      btn.disabled = true;
      try {
        await api('POST', `/tickets/${encodeURIComponent(tk.id)}/withdraw`, reason.trim() ? { reason: reason.trim() } : {});
        toast(t('detail.withdrawn'), 'success');
        refresh();
      } catch (err) { btn.disabled = false; toast(errorMessage(err), 'error'); if (err.status === 409) refresh(); }
    } }, t('detail.withdraw')));
  }
  if (may(tk, 'revisit')) {
    actionsBar.push(h('a', { class: 'btn btn-primary', href: `#/e/tickets/${encodeURIComponent(tk.id)}/rate`, 'data-testid': 'rate-action' }, t('detail.rate')));
  }
  const body = h('div', { class: ['detail', actionsBar.length && 'has-actionbar'] }, blocks,
    actionsBar.length ? h('div', { class: 'actionbar' }, actionsBar) : null);
  return page({ title: t('detail.title'), back: '#/e/tickets', body });
}
