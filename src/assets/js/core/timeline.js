// core/timeline.js — a ticket's record as a vertical timeline, newest first: its events (a
// progress note's or resolution's files under it, `event_seq`) and, merged in by time, its
// comments with their attachments.
//   timeline(events, {comments, attachments, deptName(id), userName(id), commentAuthor(c), oldestFirst}?)
//
// Test ids (stable, for tests/e2e):
//   timeline timeline-event (data-action) timeline-comment

import { h } from './dom.js';
import { t } from './i18n.js';
import { fmtDateTime } from './format.js';
import { attachmentsView } from './attachments.js';

function eventTitle(e) {
  if (e.action === 'assign' && e.data && e.data.reassigned) return t('action.reassign');
  if (e.action === 'revisit' && e.to_status === 'in_progress') return t('action.reopen');
  return t(`action.${e.action}`);
}

function eventDetails(e, opts) {
  const d = e.data || {};
  const out = [];
  if (e.action === 'assign') {
    if (d.department_id && opts.deptName) { const n = opts.deptName(d.department_id); if (n) out.push(t('tl.dept', { name: n })); }
    if (d.due_at) out.push(t('tl.due', { time: fmtDateTime(d.due_at) }));
  } else if (e.action === 'revisit' && d.rating) {
    out.push(t('tl.rating', { rating: t(`rating.${d.rating}`) }));
    // The rework's deadline replaces the handling's: say which it replaces.
    if (d.due_at && d.previous_due_at) out.push(t('tl.reworkDue', { time: fmtDateTime(d.due_at), before: fmtDateTime(d.previous_due_at) }));
    else if (d.due_at) out.push(t('tl.reworkDueNew', { time: fmtDateTime(d.due_at) }));
  } else if (e.action === 'resolve' && d.adopted !== undefined && d.adopted !== null) {
    out.push(d.adopted ? t('tl.adopted') : t('tl.notAdopted'));
  } else if (e.action === 'close' && d.reason === 'no_response') {
    out.push(t('tl.noResponse'));
  } else if ((e.action === 'extension_request' || e.action === 'extension_approve' || e.action === 'extension_deny') && d.days) {
    out.push(t('tl.extDays', { days: d.days }));
    if (e.action === 'extension_approve' && d.due_at) out.push(t('tl.due', { time: fmtDateTime(d.due_at) }));
  } else if (e.action === 'escalate' && d.level) {
    out.push(t('tl.level', { level: d.level }));
  } else if (e.action === 'remind' && d.due_at) {
    out.push(t('tl.due', { time: fmtDateTime(d.due_at) }));
  }
  return out;
}

export function timeline(events, opts = {}) {
  const items = (events || []).map((e) => ({ kind: 'event', at: e.created_at, seq: e.seq || 0, e }));
  const atts = opts.attachments || [];
  for (const c of opts.comments || []) items.push({ kind: 'comment', at: c.created_at, seq: 0, c });
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq));
  if (!opts.oldestFirst) items.reverse();
  if (!items.length) return h('div', { class: 'timeline timeline-empty muted' }, t('tl.empty'));
  return h('ol', { class: 'timeline', 'data-testid': 'timeline' },
    items.map((it, i) => {
      if (it.kind === 'comment') {
        const c = it.c;
        const who = opts.commentAuthor ? opts.commentAuthor(c) : (opts.userName && opts.userName(c.author_id)) || t('action.comment');
        return h('li', { class: ['tl-item', 'tl-comment', c.internal && 'tl-internal', i === 0 && 'tl-latest'], 'data-testid': 'timeline-comment' },
          h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
          h('div', { class: 'tl-main' },
            h('div', { class: 'tl-head' }, h('span', { class: 'tl-title' }, who), h('time', { class: 'tl-time', datetime: c.created_at }, fmtDateTime(c.created_at))),
            h('div', { class: 'tl-note' }, c.body),
            attachmentsView(atts.filter((a) => a.comment_id === c.id))));
      }
      const e = it.e;
      const actor = e.actor_id ? ((opts.userName && opts.userName(e.actor_id)) || (e.actor_role ? t(`role.${e.actor_role}`) : '')) : t('role.system');
      return h('li', { class: ['tl-item', `tl-${e.action}`, e.public === false && 'tl-internal', i === 0 && 'tl-latest'], 'data-testid': 'timeline-event', 'data-action': e.action },
        h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
        h('div', { class: 'tl-main' },
          h('div', { class: 'tl-head' },
            h('span', { class: 'tl-title' }, eventTitle(e)),
            h('time', { class: 'tl-time', datetime: e.created_at }, fmtDateTime(e.created_at))),
          actor ? h('div', { class: 'tl-actor muted' }, actor) : null,
          eventDetails(e, opts).map((s) => h('div', { class: 'tl-detail' }, s)),
          e.note ? h('div', { class: 'tl-note' }, e.note) : null,
          attachmentsView(atts.filter((a) => a.event_seq === e.seq))));
    }));
}
