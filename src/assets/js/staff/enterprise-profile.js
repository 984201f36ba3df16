// staff/enterprise-profile.js — an enterprise's profile (企业档案, #/c/enterprises/:id) for its
// liaison cadre and deputies, dispatchers and admins: its facts; its 联点干部 and 副联点干部; the
// last visit (待走访 when one is due); its requests in figures (诉求概况); its information and the
// policies it fits (企业信息, 可享政策: staff/enterprise-policies.js); the latest visits (走访记录:
// day, how, who went, whom they met, what they found, the photos, the requests filed on it, the
// policies explained) and the latest requests (最近诉求), each opening its ticket on the reader's
// desk.
//
// Test ids (stable, for tests/e2e):
//   profile profile-facts profile-name profile-due profile-record profile-liaison
//   profile-deputies profile-last-visit profile-requests profile-req-total profile-req-open
//   profile-req-resolved profile-req-satisfaction profile-visits profile-visit (data-id)
//   profile-visit-day profile-visit-method profile-visit-cadre profile-visit-people
//   profile-visit-findings profile-visit-photos (attachments, attachment-image: core/attachments.js)
//   profile-visit-ticket (data-id) profile-visits-empty profile-recent profile-ticket (data-id)
//   profile-recent-empty; those of staff/enterprise-policies.js (profile-traits…,
//   profile-policies…, profile-visit-policies)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { session } from '../core/session.js';
import { page } from '../core/layout.js';
import { loading, empty, errorState } from '../core/states.js';
import { fmtDateTime, statusTag, kindTag } from '../core/format.js';
import { attachmentsView } from '../core/attachments.js';
import { pct } from '../desk/dates.js';
import { traitsCard, policiesCard, visitPolicies } from './enterprise-policies.js';

function kv(label, value, testid) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', { class: 'sf-kv' }, h('dt', null, label), h('dd', { 'data-testid': testid }, value));
}

/** A ticket's page on the reader's desk: the cadre's (#/c…) or the dispatcher's (#/d…, admins too). */
function ticketHref(id) {
  return `${session.role() === 'cadre' ? '#/c' : '#/d'}/tickets/${encodeURIComponent(id)}`;
}

/** The enterprise: name, 待走访, and what the register holds of it. */
function factsCard(p) {
  const e = p.enterprise;
  return h('section', { class: 'card sf-head pf-facts', 'data-testid': 'profile-facts' },
    h('div', { class: 'ti-head' },
      h('h2', { class: 'sf-head-title pf-name', 'data-testid': 'profile-name' }, e.name),
      p.visit_due ? h('span', { class: 'tag tag-warn', 'data-testid': 'profile-due' }, t('li.due')) : null),
    h('dl', { class: 'sf-kvs' },
      kv(t('pf.creditCode'), e.credit_code),
      kv(t('pf.chain'), e.industry_chain),
      kv(t('pf.area'), e.area),
      kv(t('pf.address'), e.address),
      kv(t('pf.contact'), e.contact_name),
      kv(t('pf.phone'), e.contact_phone)));
}

/** 联点干部, 副联点干部, the last visit, and 记录走访 for a cadre. */
function liaisonCard(p) {
  const mine = session.role() === 'cadre';
  return h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('pf.sec.liaison')),
    h('dl', { class: 'sf-kvs' },
      kv(t('pf.liaison'), p.liaison ? p.liaison.name : t('pf.noLiaison'), 'profile-liaison'),
      kv(t('pf.deputies'), p.deputies.length ? p.deputies.map((d) => d.name).join('、') : t('pf.noDeputies'), 'profile-deputies'),
      kv(t('pf.lastVisit'), p.last_visit || t('li.never'), 'profile-last-visit')),
    mine ? h('a', { class: 'btn btn-primary btn-block pf-record', href: `#/c/visits/new/${encodeURIComponent(p.enterprise.id)}`, 'data-testid': 'profile-record' }, icon('edit'), t('li.record')) : null);
}

/** 诉求概况: how many, open, resolved, and the satisfaction rate of those rated. */
function requestsCard(r) {
  const kpi = (label, value, testid) => h('div', { class: 'kpi' },
    h('span', { class: 'kpi-value', 'data-testid': testid }, value), h('span', { class: 'kpi-label' }, label));
  return h('section', { class: 'card', 'data-testid': 'profile-requests' },
    h('h3', { class: 'card-title' }, t('pf.sec.requests')),
    h('div', { class: 'kpis kpis-4 pf-kpis' },
      kpi(t('pf.total'), String(r.total), 'profile-req-total'),
      kpi(t('pf.open'), String(r.open), 'profile-req-open'),
      kpi(t('pf.resolved'), String(r.resolved), 'profile-req-resolved'),
      kpi(t('pf.satisfaction'), pct(r.satisfaction_rate) || '—', 'profile-req-satisfaction')),
    r.rated ? h('p', { class: 'muted sf-small pf-note' }, t('pf.rated', { n: r.rated, s: r.satisfied, b: r.basically_satisfied, u: r.unsatisfied })) : null);
}

/** One visit: day, how, who went; whom they met and what they found; photos; requests filed; policies explained. */
function visitItem(v, titles, policies) {
  const ids = v.ticket_ids || [];
  return h('li', { class: 'pf-visit', 'data-testid': 'profile-visit', 'data-id': v.id },
    h('div', { class: 'pf-visit-head' },
      h('span', { class: 'pf-visit-day', 'data-testid': 'profile-visit-day' }, v.visited_on),
      h('span', { class: 'tag tag-muted', 'data-testid': 'profile-visit-method' }, t(`li.m.${v.method}`)),
      h('span', { class: 'muted sf-small pf-visit-cadre', 'data-testid': 'profile-visit-cadre' }, v.cadre_name)),
    h('div', { class: 'sf-small pf-visit-people' }, h('span', { class: 'muted' }, `${t('li.people')}：`), h('span', { 'data-testid': 'profile-visit-people' }, v.people)),
    h('p', { class: 'pf-visit-findings', 'data-testid': 'profile-visit-findings' }, v.findings),
    (v.photos || []).length ? h('div', { 'data-testid': 'profile-visit-photos' }, attachmentsView(v.photos)) : null,
    ids.length ? h('div', { class: 'pf-visit-tickets' },
      h('span', { class: 'muted sf-small' }, t('pf.filed', { n: ids.length })),
      h('ul', null, ids.map((id, i) => h('li', null,
        h('a', { href: ticketHref(id), 'data-testid': 'profile-visit-ticket', 'data-id': id }, titles.get(id) || t('pf.request', { n: i + 1 })))))) : null,
    visitPolicies(v.policy_ids, policies));
}

/** policies: a promise of the enterprise's policies, whose titles name those explained. */
function visitsCard(p, policies) {
  const titles = new Map(p.recent.map((tk) => [tk.id, `${tk.number} ${tk.title}`]));
  return h('section', { class: 'card', 'data-testid': 'profile-visits' },
    h('h3', { class: 'card-title' }, t('pf.sec.visits')),
    p.visits.length
      ? h('ul', { class: 'pf-visits' }, p.visits.map((v) => visitItem(v, titles, policies)))
      : h('div', { 'data-testid': 'profile-visits-empty' }, empty(t('pf.noVisits'))));
}

/** The latest requests, as the ticket lists show them, each opening its ticket. */
function ticketRow(tk) {
  return h('a', { class: ['list-item', 'sf-card', 'pf-ticket', tk.overdue && 'is-overdue'], href: ticketHref(tk.id), 'data-testid': 'profile-ticket', 'data-id': tk.id, 'data-status': tk.status },
    h('div', { class: 'ti-head' }, h('div', { class: 'ti-title' }, tk.title), statusTag(tk.status)),
    h('div', { class: 'ti-meta muted' },
      h('span', { class: 'ti-number' }, tk.number),
      kindTag(tk.kind),
      tk.channel === 'visit' ? h('span', { class: 'tag tag-muted' }, t('channel.visit')) : null,
      h('span', { class: 'sf-small' }, fmtDateTime(tk.created_at))));
}

function recentCard(p) {
  return h('section', { class: 'card', 'data-testid': 'profile-recent' },
    h('h3', { class: 'card-title' }, t('pf.sec.recent')),
    p.recent.length
      ? h('div', { class: 'list pf-tickets' }, p.recent.map(ticketRow))
      : h('div', { 'data-testid': 'profile-recent-empty' }, empty(t('pf.noRequests'))));
}

/** #/c/enterprises/:id */
export async function profilePage({ id }) {
  const body = h('div', { class: 'sf-detail pf-page', 'data-testid': 'profile' }, loading());
  const load = async () => {
    try {
      const p = await api('GET', `/enterprises/${encodeURIComponent(id)}/profile`);
      // 企业信息 and 可享政策 read their own; a change of the information matches again.
      const policies = policiesCard(id);
      body.replaceChildren(
        h('div', { class: 'sf-detail-head' }, factsCard(p)),
        h('aside', { class: 'sf-detail-side' }, liaisonCard(p), requestsCard(p.requests)),
        h('div', { class: 'sf-detail-main' },
          traitsCard(id, { onChange: policies.reload }), policies.node,
          visitsCard(p, policies.items()), recentCard(p)));
    } catch (err) {
      body.replaceChildren(errorState(err, load));
    }
  };
  await load();
  // The cadre came from 我的联点企业; the dispatcher and admin from wherever they were.
  const back = session.role() === 'cadre' ? '#/c/enterprises' : true;
  return page({ title: t('pf.title'), back, body, tabbar: true, wide: true, className: 'sf-page sf-detailpage' });
}
