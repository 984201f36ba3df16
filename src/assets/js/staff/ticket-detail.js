// staff/ticket-detail.js — a ticket on the staff pages (#/c/tickets/:id for cadres,
// #/d/tickets/:id for dispatchers and admins): its head, the enterprise and contact (with a tel:
// link, or none when the number is masked for the reader), the description and photos (under
// the title), the outcome, extension requests, the timeline, and the
// action bar. What each action does: ticket-actions.js.
//
// Test ids (stable, for tests/e2e):
//   ticket-detail ticket-number ticket-title ticket-status ticket-description
//   ticket-due ticket-department ticket-assignee enterprise-name (enterprise-profile: the link to
//   its 企业档案, dispatchers and admins) enterprise-more contact-name
//   contact-phone contact-call contact-masked ticket-resolution unsatisfied-reason extensions extension-item (data-status)
//   detail-refresh action-bar; the actions: action-sign action-return action-progress
//   action-extend action-resolve action-comment action-accept action-reject action-assign
//   action-urge action-revisit action-close action-approve-ext action-deny-ext action-merge
//   action-unmerge; the similar and merged requests: staff/merging.js

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { loading } from '../core/states.js';
import { fmtDateTime, fmtDate, fmtDue, statusTag, kindTag, ratingTag } from '../core/format.js';
import { timeline } from '../core/timeline.js';
import { attachmentsView } from '../core/attachments.js';
import { may } from '../core/allowed.js';
import { directory, nameMap } from '../desk/directory.js';
import { lastList } from './tickets.js';
import { ticketActions } from './ticket-actions.js';
import { similarCard, mergeCard } from './merging.js';
import { systemicSection } from './ticket-systemic.js';
import { profileHref } from './liaison.js';

/**
 * The action bar's buttons, in the order they are drawn: each shows when the ticket's
 * allowed_actions has its action. The first `main` one present is the primary button.
 * (Extension decisions are drawn on the waiting request, in the extensions card.)
 */
const BAR = [
  { action: 'sign', testid: 'action-sign', label: 's.a.sign', icon: 'check', main: true },
  { action: 'return', testid: 'action-return', label: 's.a.return' },
  { action: 'accept', testid: 'action-accept', label: 's.a.accept', icon: 'check', main: true },
  { action: 'resolve', testid: 'action-resolve', label: 's.a.resolve', icon: 'check', main: true },
  { action: 'progress', testid: 'action-progress', label: 's.a.progress' },
  { action: 'extension_request', run: 'extend', testid: 'action-extend', label: 's.a.extend', icon: 'clock' },
  { action: 'urge', testid: 'action-urge', label: 's.a.urge', icon: 'bell', main: true },
  // 派单 a ticket not yet with a department; 重新派单 one being handled.
  { action: 'assign', testid: 'action-assign', label: (tk) => (['assigned', 'in_progress'].includes(tk.status) ? 's.a.reassign' : 's.a.assign'), main: true },
  { action: 'reject', testid: 'action-reject', label: 's.a.reject', cls: 'btn-danger-text' },
  { action: 'revisit', testid: 'action-revisit', label: 's.a.revisit', icon: 'phone', main: true },
  { action: 'close', testid: 'action-close', label: 's.a.close', main: true },
  { action: 'merge', testid: 'action-merge', label: 's.a.merge' },
  { action: 'unmerge', testid: 'action-unmerge', label: 's.a.unmerge', cls: 'btn-danger-text' },
  { action: 'comment', testid: 'action-comment', label: 's.a.comment' },
];

/** A "tel:" href for a stored contact number ('0731-88889999-8' → 'tel:073188889999,8'). */
function telHref(phone) {
  const s = String(phone || '').trim();
  const parts = s.split('-');
  if (parts.length === 3) return `tel:${parts[0]}${parts[1]},${parts[2]}`;
  return `tel:${s.replace(/[^\d+]/g, '')}`;
}

function kv(label, value, testid, cls) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', { class: ['sf-kv', cls] }, h('dt', null, label), h('dd', { 'data-testid': testid }, value));
}

function extStatusTag(s) {
  return h('span', { class: ['tag', `sf-ext-${s}`] }, t(`s.ext.${s}`));
}

export async function detailPage({ id, mode }) {
  const me = session.user();
  const isCadre = mode === 'cadre';
  const isStaffDesk = !isCadre; // dispatcher or admin
  const body = h('div', { class: 'detail has-actionbar sf-detail', 'data-testid': 'ticket-detail' });
  const actionBar = h('div', { class: 'actionbar sf-actionbar', 'data-testid': 'action-bar' });
  let ticket = null;

  let current = null;
  async function fetchAll_() {
    const tk = await api('GET', `/tickets/${encodeURIComponent(id)}`);
    const ex = await api('GET', `/tickets/${encodeURIComponent(id)}/extensions`).then((r) => r.items || [], () => []);
    const [depts, cats] = await Promise.all([directory.departments().catch(() => []), directory.categories().catch(() => [])]);
    let category = cats.find((c) => c.id === tk.category_id) || null;
    if (!category && tk.category_id) category = await directory.category(tk.category_id).catch(() => null);
    // The name comes with the ticket (enterprise_name). A cadre may read the record only as its liaison cadre (404 otherwise),
    // so a cadre's page fetches it when "more info" is opened, not up front.
    let enterprise = null;
    if (tk.enterprise_id && isStaffDesk) enterprise = await directory.enterprise(tk.enterprise_id).catch(() => null);
    // The detail answer names every actor / comment author / assignee in `people`; look up only the rest (staff desks).
    const users = new Map(Object.entries(tk.people || {}).filter(([, n]) => n));
    if (me) users.set(me.id, me.name || me.username);
    if (isStaffDesk) {
      const ids = new Set([tk.assignee_id, enterprise && enterprise.liaison_cadre_id, ...(tk.events || []).map((e) => e.actor_id),
        ...(tk.comments || []).map((c) => c.author_id), ...ex.map((x) => x.requested_by)].filter((uid) => uid && !users.has(uid)));
      await Promise.all([...ids].map((uid) => directory.user(uid).then((u) => users.set(uid, u.name || u.username), () => {})));
    }
    return { tk, ex, depts, category, enterprise, users };
  }

  async function reload(keepScroll = true) {
    const y = window.scrollY;
    const data = await fetchAll_();
    draw(data);
    if (keepScroll) window.scrollTo(0, y);
  }

  const actions = ticketActions({
    id,
    ticket: () => ticket,
    data: () => current,
    reload: () => reload(),
    gone: () => navigate(lastList[mode]),
  });

  function btn(testid, label, onclick, cls = 'btn-ghost', ic) {
    return h('button', { type: 'button', class: ['btn', cls], 'data-testid': testid, onclick }, ic ? icon(ic) : null, label);
  }

  function draw(data) {
    const { tk, ex, depts, category, enterprise, users } = data;
    ticket = tk;
    current = data;
    const dn = nameMap(depts);
    const userName = (uid) => (uid === me.id ? `${users.get(uid) || ''}（${t('s.me')}）` : users.get(uid));

    const due = tk.due_at ? fmtDue(tk.due_at) : null;
    const openStatus = ['assigned', 'in_progress'].includes(tk.status);
    const dueValue = tk.due_at ? h('span', null, fmtDateTime(tk.due_at), openStatus && due ? h('span', { class: ['due', 'sf-due-inline', due.cls] }, due.text) : null) : null;
    const assigneeValue = tk.assignee_id ? (userName(tk.assignee_id) || h('span', { class: 'muted' }, t('role.cadre'))) : (tk.department_id ? h('span', { class: 'muted' }, t('s.noAssignee')) : null);

    const head = h('section', { class: ['card', 'sf-head', tk.overdue && 'is-overdue'] },
      h('div', { class: 'sf-head-top' },
        h('span', { class: 'sf-card-no', 'data-testid': 'ticket-number' }, tk.number),
        h('span', { class: 'sf-card-tags', 'data-testid': 'ticket-status', 'data-status': tk.status },
          tk.priority === 'urgent' ? h('span', { class: 'tag tag-urgent' }, t('s.urgent')) : null,
          kindTag(tk.kind), statusTag(tk.status))),
      h('h2', { class: 'sf-head-title', 'data-testid': 'ticket-title' }, tk.title),
      // The request's own words right under its title: on a phone, before the rows of facts.
      h('div', { class: 'sf-text sf-head-desc', 'data-testid': 'ticket-description', 'aria-label': t('s.sec.description') }, tk.description),
      attachmentsView((tk.attachments || []).filter((a) => !a.comment_id && a.event_seq == null)),
      h('dl', { class: 'sf-kvs' },
        kv(t('s.f.category'), category ? category.name : null),
        kv(t('s.f.channel'), t(`channel.${tk.channel}`)),
        kv(t('s.f.createdAt'), fmtDateTime(tk.created_at)),
        kv(t('s.f.department'), tk.department_id ? (dn.get(tk.department_id) || '—') : null, 'ticket-department'),
        kv(t('s.f.coDepartments'), (tk.co_department_ids || []).length ? tk.co_department_ids.map((d) => dn.get(d) || '—').join('、') : null),
        kv(t('s.f.assignee'), assigneeValue, 'ticket-assignee'),
        kv(t('s.f.due'), dueValue, 'ticket-due'),
        kv(t('s.f.signDue'), tk.status === 'assigned' && tk.sign_due_at ? fmtDateTime(tk.sign_due_at) : null),
        kv(t('s.f.extensions'), tk.extension_count ? String(tk.extension_count) : null),
        kv(t('s.f.escalation'), tk.escalation_level ? h('span', { class: 'tag tag-warn' }, t('s.escalated', { level: tk.escalation_level })) : null),
        kv(t('s.f.reopen'), tk.reopen_count ? String(tk.reopen_count) : null),
        kv(t('s.f.rating'), ratingTag(tk.rating))));


    const entKvs = (e) => h('dl', { class: 'sf-kvs' },
      kv(t('s.f.creditCode'), e.credit_code),
      kv(t('s.f.chain'), e.industry_chain),
      kv(t('s.f.area'), e.area),
      kv(t('s.f.address'), e.address),
      e.liaison_cadre_id ? kv(t('s.f.liaison'), userName(e.liaison_cadre_id) || t('role.cadre')) : null);
    // A cadre's "more info": the record is read on the first opening (null → not visible to this cadre).
    const lazyEntMore = (entId) => {
      const slot = h('div', { class: 'sf-more-body' }, loading());
      let asked = false;
      return h('details', {
        class: 'sf-more-info', 'data-testid': 'enterprise-more',
        ontoggle: (ev) => {
          if (!ev.currentTarget.open || asked) return;
          asked = true;
          directory.enterprise(entId).then(
            (e) => slot.replaceChildren(e ? entKvs(e) : h('div', { class: 'muted sf-small' }, t('s.notShown'))),
            (err) => { asked = false; slot.replaceChildren(h('div', { class: 'muted sf-small' }, errorMessage(err))); });
        },
      }, h('summary', null, t('s.moreInfo')), slot);
    };
    const phone = tk.contact_phone || (enterprise && enterprise.contact_phone);
    const contactName = tk.contact_name || (enterprise && enterprise.contact_name);
    // The profile (企业档案) opens from here on the dispatcher's desk (admins too); a cadre reaches
    // it from 走访, as the enterprise's liaison cadre (others would be told it does not exist).
    const entName = tk.enterprise_name || (enterprise && enterprise.name) || null;
    const entCard = h('section', { class: 'card sf-ent' },
      h('h3', { class: 'card-title' }, t('s.sec.enterprise')),
      h('dl', { class: 'sf-kvs' },
        kv(t('s.f.enterprise'), entName && tk.enterprise_id && isStaffDesk
          ? h('a', { href: profileHref(tk.enterprise_id), 'data-testid': 'enterprise-profile' }, entName) : entName, 'enterprise-name'),
        kv(t('s.f.contact'), contactName, 'contact-name'),
        kv(t('s.f.phone'), phone ? h('span', { 'data-testid': 'contact-phone' }, phone) : null)),
      enterprise ? h('details', { class: 'sf-more-info', 'data-testid': 'enterprise-more' },
        h('summary', null, t('s.moreInfo')),
        entKvs(enterprise)) : null,
      !enterprise && isCadre && tk.enterprise_id ? lazyEntMore(tk.enterprise_id) : null,
      // A masked number (138****5678) is not one to call: the server says which it sent (contact_masked).
      phone && !tk.contact_masked ? h('a', { class: 'btn btn-primary btn-block sf-call', href: telHref(phone), 'data-testid': 'contact-call', 'aria-label': t('s.call', { phone }) }, icon('phone'), t('s.call', { phone })) : null,
      phone && tk.contact_masked ? h('div', { class: 'muted sf-small', 'data-testid': 'contact-masked' }, t('s.contactMasked')) : null,
      !enterprise && !isCadre ? h('div', { class: 'muted sf-small' }, t('s.notShown')) : null);

    // Sent back as 不满意: why, for the rework (the last revisit, while no later one replaced it).
    const lastRevisit = (tk.revisits || [])[(tk.revisits || []).length - 1];
    const reworkWhy = lastRevisit && lastRevisit.rating === 'unsatisfied' && lastRevisit.comment
      ? h('div', { class: 'notice notice-warn sf-unsatisfied', 'data-testid': 'unsatisfied-reason' }, t('s.unsatisfiedReason', { text: lastRevisit.comment })) : null;
    const resCard = tk.resolution ? h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, tk.status === 'in_progress' && tk.reopen_count ? t('s.sec.lastResolution') : t('s.sec.resolution')),
      reworkWhy,
      h('div', { class: 'sf-text', 'data-testid': 'ticket-resolution' }, tk.resolution),
      tk.kind === 'suggestion' && tk.adopted !== null && tk.adopted !== undefined
        ? h('div', { class: 'sf-adopted' }, `${t('s.f.adopted')}：${tk.adopted ? t('s.yes') : t('s.no')}`) : null) : null;

    const extCard = ex.length ? h('section', { class: 'card', 'data-testid': 'extensions' },
      h('h3', { class: 'card-title' }, t('s.sec.extensions')),
      h('ul', { class: 'sf-exts' }, ex.slice().reverse().map((x) => h('li', { class: 'sf-ext', 'data-testid': 'extension-item', 'data-status': x.status },
        h('div', { class: 'sf-ext-top' }, h('strong', null, t('s.ext.line', { days: x.working_days })), extStatusTag(x.status)),
        x.reason ? h('div', { class: 'sf-text' }, x.reason) : null,
        h('div', { class: 'muted sf-small' }, t('s.ext.by', { time: fmtDateTime(x.created_at) }), x.requested_by && users.get(x.requested_by) ? ` · ${users.get(x.requested_by)}` : ''),
        x.due_before && x.due_after && x.status === 'approved' ? h('div', { class: 'muted sf-small' }, t('s.ext.due', { before: fmtDate(x.due_before), after: fmtDate(x.due_after) }))
          : x.due_before ? h('div', { class: 'muted sf-small' }, t('s.ext.dueNow', { before: fmtDate(x.due_before) })) : null,
        x.decision_reason ? h('div', { class: 'sf-small' }, t('s.ext.decision', { text: x.decision_reason })) : null,
        x.status === 'pending' && (may(tk, 'extension_approve') || may(tk, 'extension_deny')) ? h('div', { class: 'btn-row' },
          may(tk, 'extension_approve') ? btn('action-approve-ext', t('s.a.approveExt'), () => actions.approveExtension(x), 'btn-primary btn-small', 'check') : null,
          may(tk, 'extension_deny') ? btn('action-deny-ext', t('s.a.denyExt'), () => actions.denyExtension(x), 'btn-ghost btn-small', 'close') : null) : null)))) : null;

    const tlCard = h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, t('s.sec.timeline')),
      timeline(tk.events || [], { comments: tk.comments || [], attachments: tk.attachments || [], deptName: (d) => dn.get(d), userName: (u) => userName(u) }));

    // The buttons: what the server allows this reader now, in the order of BAR; the first main one is primary.
    let primary = false;
    const acts = BAR.filter((b) => may(tk, b.action)).map((b) => {
      const cls = b.main && !primary ? 'btn-primary' : 'btn-ghost';
      if (b.main) primary = true;
      const label = t(typeof b.label === 'function' ? b.label(tk) : b.label);
      return btn(b.testid, label, () => actions[b.run || b.action](), [cls, b.cls].filter(Boolean).join(' '), b.icon);
    });
    actionBar.replaceChildren(...acts);
    actionBar.classList.toggle('sf-actionbar-many', acts.length > 2);
    // Nothing to do (a closed ticket, say): no empty bar at the foot of the screen.
    actionBar.classList.toggle('hidden', !acts.length);
    body.classList.toggle('has-actionbar', acts.length > 0);

    const base = isCadre ? 'c' : 'd';
    // Similar requests matter while this one waits to be routed, or may still be merged.
    const similar = ['submitted', 'accepted', 'assigned', 'in_progress'].includes(tk.status)
      ? similarCard({ tk, base, onMerge: (s) => actions.merge(s) }) : null;
    body.replaceChildren(
      h('div', { class: 'sf-detail-head' }, head),
      h('aside', { class: 'sf-detail-side' }, entCard, actionBar),
      h('div', { class: 'sf-detail-main' }, mergeCard({ tk, base }), resCard, extCard, systemicSection({ ticketId: tk.id, mode }), similar, tlCard));
  }

  await reload(false);

  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), 'data-testid': 'detail-refresh',
    onclick: () => reload().catch((e) => toast(errorMessage(e), 'error')) }, icon('refresh'));
  return page({ title: t('s.detail.title'), back: () => navigate(lastList[mode]), actions: refreshBtn, body, wide: true, className: 'sf-page sf-detailpage' });
}
