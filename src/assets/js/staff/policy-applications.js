// staff/policy-applications.js — applications for policies on the desks (申报与兑现): the list
// (#/s/applications?policy_id=&status=: a cadre their department's policies', dispatchers and
// administrators all), newest first, by status, with the year's 集中兑付 workbook (a signed
// download, or the file fetched while the server makes no link for it); and one application (#/s/applications/:id): the enterprise, the policy, how it
// came (online, recorded, granted), the statement, the amounts asked, approved and paid, the
// refusal's reason and the timeline; for the policy's department and administrators 审核通过
// (the amount in 元), 不予通过 (the reason) and, once approved, 登记兑付. A decision someone else
// made first (409) is said, and the page reads it again.
//
// Test ids (stable, for tests/e2e):
//   application-list application-item (data-id, data-status) application-item-enterprise
//   application-item-policy application-item-amounts app-status-all app-status-submitted
//   app-status-approved app-status-refused app-status-paid app-policy-filter app-policy-clear
//   payouts payouts-year payouts-download
//   application-detail application-enterprise application-policy application-amounts
//   application-amount (data-key requested|approved|paid) application-statement
//   application-refusal application-actions application-approve application-refuse
//   application-pay application-read-only application-timeline application-event (data-action)
//   approve-amount approve-note pay-amount pay-note (form-dialog data-action approve|pay)
//   (and application-status application-channel: staff/policy-common.js)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api, apiBlob, download } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { session } from '../core/session.js';
import { toast } from '../core/feedback.js';
import { loading, errorState } from '../core/states.js';
import { promptDialog } from '../core/dialogs.js';
import { field } from '../core/forms.js';
import { tabs } from '../core/controls.js';
import { fmtDateTime } from '../core/format.js';
import { directory } from '../desk/directory.js';
import { todayCN } from '../desk/dates.js';
import { pagedList, setHashQuery } from '../desk/paged-list.js';
import { formDialog, textInput, textArea } from '../desk/form-dialog.js';
import { localError } from '../desk/validation.js';
import {
  APPLICATION_STATUSES, appStatusTag, channelTag, fmtYuan, yuanToFen, fenToYuanText,
  policyHref, applicationHref, handlesApplication, isStale,
} from './policy-common.js';

function amountsLine(a) {
  const parts = [];
  if (a.requested_fen !== null && a.requested_fen !== undefined) parts.push(t('ps.app.amountLine', { label: t('ps.app.requested'), amount: fmtYuan(a.requested_fen) }));
  if (a.approved_fen !== null && a.approved_fen !== undefined) parts.push(t('ps.app.amountLine', { label: t('ps.app.approved'), amount: fmtYuan(a.approved_fen) }));
  if (a.paid_fen !== null && a.paid_fen !== undefined) parts.push(t('ps.app.amountLine', { label: t('ps.app.paid'), amount: fmtYuan(a.paid_fen) }));
  return parts.join(' · ');
}

function applicationCard(a) {
  const amounts = amountsLine(a);
  return h('a', { class: ['list-item', 'sf-card', 'ps-app-card'], href: applicationHref(a.id), 'data-testid': 'application-item', 'data-id': a.id, 'data-status': a.status },
    h('div', { class: 'ti-head' },
      h('div', { class: 'ti-title', 'data-testid': 'application-item-enterprise' }, a.enterprise_name || '—'),
      appStatusTag(a.status)),
    h('div', { class: 'ps-app-policy', 'data-testid': 'application-item-policy' }, a.policy_title || ''),
    h('div', { class: 'ti-meta muted' }, channelTag(a.channel),
      amounts ? h('span', { class: 'ps-amounts', 'data-testid': 'application-item-amounts' }, amounts) : null),
    h('div', { class: 'ti-foot' }, h('span', { class: 'muted sf-small' }, t(a.channel === 'granted' ? 'ps.app.grantedAt' : 'ps.app.created', { time: fmtDateTime(a.created_at) }))));
}

/**
 * Saves the year's workbook through a signed link (api.download), as every download of the desks
 * is. The server does not make links for this one yet (POST /downloads answers 422 naming
 * `path`): then it is fetched with the token and saved from a blob: URL, which WeChat's browser
 * cannot save, but a desk's can.
 */
async function savePayouts(year) {
  const path = `/policies/payouts.xlsx?year=${encodeURIComponent(year)}`;
  try {
    await download(path);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 422 && err.fields && err.fields.path)) throw err;
    const url = URL.createObjectURL(await apiBlob(path));
    const a = h('a', { href: url, download: t('ps.pay.fileName', { y: year }), class: 'hidden', 'data-testid': 'download-link' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }
}

/** 集中兑付清单: the year's workbook. */
function payoutsCard() {
  const year = Number(todayCN().slice(0, 4));
  const sel = h('select', { class: 'select', 'data-testid': 'payouts-year', 'aria-label': t('ps.pay.year') },
    [0, 1, 2, 3, 4].map((d) => h('option', { value: String(year - d), selected: d === 0 }, t('ps.pay.yearOption', { y: year - d }))));
  const btn = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'payouts-download',
    onclick: async () => {
      btn.disabled = true;
      try { await savePayouts(sel.value); } catch (err) { toast(errorMessage(err), 'error'); } finally { btn.disabled = false; }
    } }, icon('download'), t('ps.pay.download'));
  return h('section', { class: 'card ps-payouts', 'data-testid': 'payouts' },
    h('div', { class: 'ps-payouts-text' }, h('strong', null, t('ps.pay.title')), h('span', { class: 'muted sf-small' }, t('ps.pay.lead'))),
    h('div', { class: 'ps-payouts-tools toolbar' }, sel, btn));
}

export async function applicationsPage({ query }) {
  let status = APPLICATION_STATUSES.includes(query.status) ? query.status : '';
  let policyId = query.policy_id || '';
  let policyTitle = '';
  if (policyId) {
    try { policyTitle = (await api('GET', `/policies/${encodeURIComponent(policyId)}`)).title; } catch { policyId = ''; }
  }
  const statusTabs = tabs([
    { value: '', label: t('ps.app.status.all'), testid: 'app-status-all' },
    ...APPLICATION_STATUSES.map((s) => ({ value: s, label: t(`ps.app.status.${s}`), testid: `app-status-${s}` })),
  ], status, (v) => { status = v; go(); });
  statusTabs.classList.add('sf-tabs');
  const policyChip = h('div', { class: 'ps-policy-filter' });
  const drawPolicyChip = () => {
    policyChip.replaceChildren(...(policyId ? [
      h('a', { class: 'ps-policy-filter-name', href: policyHref(policyId), 'data-testid': 'app-policy-filter' }, t('ps.app.forPolicy', { title: policyTitle })),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'app-policy-clear', onclick: () => { policyId = ''; drawPolicyChip(); go(); } }, icon('close'), t('ps.app.clearPolicy')),
    ] : []));
    policyChip.classList.toggle('hidden', !policyId);
  };
  drawPolicyChip();
  const listBox = h('div', { class: 'sf-listbox' });
  function go() {
    setHashQuery({ policy_id: policyId, status });
    const list = pagedList({
      testid: 'application-list',
      emptyText: status ? t('ps.app.emptyFiltered') : t('ps.app.empty'),
      load: (cursor) => api('GET', '/policy-applications', null, { query: { policy_id: policyId || undefined, status: status || undefined, limit: 20, cursor } }),
      item: applicationCard,
    });
    listBox.replaceChildren(list.element);
  }
  go();
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), onclick: () => go() }, icon('refresh'));
  return page({ title: t('ps.app.title'), back: () => navigate('#/s/policies'), actions: refreshBtn, wide: true, className: 'sf-page sf-listpage ps-apppage',
    body: h('div', { class: 'sf-listwrap' }, payoutsCard(), policyChip, statusTabs, listBox) });
}

function kv(label, value, testid) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', { class: 'sf-kv' }, h('dt', null, label), h('dd', { 'data-testid': testid }, value));
}

function timelineView(events, name) {
  const items = [...(events || [])].reverse();
  return h('ol', { class: 'timeline', 'data-testid': 'application-timeline' },
    items.map((e, i) => h('li', { class: ['tl-item', i === 0 && 'tl-latest'], 'data-testid': 'application-event', 'data-action': e.action },
      h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
      h('div', { class: 'tl-main' },
        h('div', { class: 'tl-head' },
          h('span', { class: 'tl-title' }, t(`ps.app.ev.${e.action}`)),
          h('time', { class: 'tl-time', datetime: e.at }, fmtDateTime(e.at))),
        h('div', { class: 'tl-actor muted' }, name(e)),
        e.amount_fen !== null && e.amount_fen !== undefined ? h('div', { class: 'tl-detail' }, t('ps.app.ev.amount', { amount: fmtYuan(e.amount_fen) })) : null,
        e.note ? h('div', { class: 'tl-note' }, e.note) : null))));
}

export async function applicationPage({ id }) {
  const body = h('div', { class: 'detail sf-detail ps-app-detail', 'data-testid': 'application-detail' }, loading());
  let app = null;

  async function decide(path, payload, done) {
    try {
      await api('POST', `/policy-applications/${encodeURIComponent(id)}/${path}`, payload);
      toast(done, 'success');
    } catch (err) {
      toast(isStale(err) ? t('ps.app.changed') : errorMessage(err), 'error');
    }
    await reload();
  }

  async function reload() {
    try {
      app = await api('GET', `/policy-applications/${encodeURIComponent(id)}`);
      const names = new Map();
      const me = session.user();
      if (me) names.set(me.id, me.name || me.username);
      // Cadres may not read other accounts; the others' pages name everyone.
      if (session.role() === 'admin' || session.role() === 'dispatcher') {
        await Promise.all([...new Set((app.timeline || []).map((e) => e.actor_id))].filter((u) => u && !names.has(u))
          .map((u) => directory.user(u).then((x) => names.set(u, x.name || x.username), () => {})));
      }
      // An enterprise applies for itself: its own user is named by the enterprise.
      draw(app, (e) => (e.action === 'applied' ? app.enterprise_name : names.get(e.actor_id) || t('ps.app.staff')));
    } catch (err) {
      body.replaceChildren(errorState(err, reload));
    }
  }

  async function approve() {
    const r = await formDialog({
      title: t('ps.app.approveTitle'),
      action: 'approve',
      okText: t('ps.app.approve'),
      fields: [
        h('p', { class: 'sf-dialog-lead' }, `${app.enterprise_name} · ${app.policy_title}`),
        field(t('ps.app.approveAmount'), textInput('amount_fen', { inputmode: 'decimal', testid: 'approve-amount', value: fenToYuanText(app.requested_fen) }), t('ps.app.approveHint'), { required: true }),
        field(t('ps.app.note'), textArea('note', { rows: 2, max: 500, testid: 'approve-note' })),
      ],
      submit: async (form, v) => {
        const fen = yuanToFen(v.amount_fen);
        if (fen === null) throw localError({ amount_fen: t('s.required') });
        if (Number.isNaN(fen)) throw localError({ amount_fen: t('ps.f.badAmount') });
        return { amount_fen: fen, note: v.note.trim() || undefined };
      },
    });
    if (r) decide('approve', r, t('ps.app.approvedToast'));
  }

  async function refuse() {
    const reason = await promptDialog(t('ps.app.refusePrompt'), { multiline: true, required: true, maxLength: 500, okText: t('ps.app.refuse'), danger: true });
    if (reason !== null) decide('refuse', { reason: reason.trim() }, t('ps.app.refusedToast'));
  }

  async function pay() {
    const r = await formDialog({
      title: t('ps.app.payTitle'),
      action: 'pay',
      okText: t('ps.app.pay'),
      fields: [
        h('p', { class: 'sf-dialog-lead' }, `${app.enterprise_name} · ${t('ps.app.amountLine', { label: t('ps.app.approved'), amount: fmtYuan(app.approved_fen) })}`),
        field(t('ps.app.payAmount'), textInput('amount_fen', { inputmode: 'decimal', testid: 'pay-amount', value: fenToYuanText(app.approved_fen) }), t('ps.app.payHint'), { required: true }),
        field(t('ps.app.payNote'), textArea('note', { rows: 2, max: 500, testid: 'pay-note' })),
      ],
      submit: async (form, v) => {
        const fen = yuanToFen(v.amount_fen);
        if (Number.isNaN(fen)) throw localError({ amount_fen: t('ps.f.badAmount') });
        return { amount_fen: fen ?? undefined, note: v.note.trim() || undefined };
      },
    });
    if (r) decide('pay', r, t('ps.app.paidToast'));
  }

  function draw(a, name) {
    const mine = handlesApplication(a);
    const buttons = mine ? [
      a.status === 'submitted' ? h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'application-approve', onclick: approve }, icon('check'), t('ps.app.approve')) : null,
      a.status === 'submitted' ? h('button', { type: 'button', class: 'btn btn-outline-danger', 'data-testid': 'application-refuse', onclick: refuse }, t('ps.app.refuse')) : null,
      a.status === 'approved' ? h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'application-pay', onclick: pay }, icon('check'), t('ps.app.pay')) : null,
    ].filter(Boolean) : [];
    const seesProfile = session.role() === 'admin' || session.role() === 'dispatcher';
    const head = h('section', { class: 'card sf-head' },
      h('div', { class: 'sf-head-top' }, channelTag(a.channel), appStatusTag(a.status)),
      h('h2', { class: 'sf-head-title', 'data-testid': 'application-enterprise' },
        seesProfile ? h('a', { class: 'ps-ent-name', href: `#/c/enterprises/${encodeURIComponent(a.enterprise_id)}` }, a.enterprise_name) : a.enterprise_name),
      h('dl', { class: 'sf-kvs' },
        kv(t('ps.app.policy'), h('a', { href: policyHref(a.policy_id), 'data-testid': 'application-policy' }, a.policy_title)),
        kv(t('ps.app.version'), t('ps.version', { n: a.policy_version })),
        kv(t('ps.app.channel'), t(`ps.app.channel.${a.channel}`)),
        kv(t(a.channel === 'granted' ? 'ps.app.grantedOn' : 'ps.app.filedAt'), fmtDateTime(a.created_at))));
    const amount = (key, fen) => h('div', { class: 'ps-amount', 'data-testid': 'application-amount', 'data-key': key, 'data-fen': fen ?? '' },
      h('span', { class: 'ps-amount-label' }, t(`ps.app.${key}`)), h('span', { class: 'ps-amount-value' }, fen === null || fen === undefined ? '—' : fmtYuan(fen)));
    const amounts = h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, t('ps.app.sec.amounts')),
      h('div', { class: 'ps-amounts-grid', 'data-testid': 'application-amounts' },
        amount('requested', a.requested_fen), amount('approved', a.approved_fen), amount('paid', a.paid_fen)));
    const actions = buttons.length ? h('div', { class: 'actionbar sf-actionbar', 'data-testid': 'application-actions' }, buttons)
      : (!mine && ['submitted', 'approved'].includes(a.status) ? h('p', { class: 'muted sf-small card', 'data-testid': 'application-read-only' }, t('ps.app.readOnly')) : null);
    body.classList.toggle('has-actionbar', buttons.length > 0);
    body.replaceChildren(
      h('div', { class: 'sf-detail-head' }, head),
      h('aside', { class: 'sf-detail-side' }, actions, amounts),
      h('div', { class: 'sf-detail-main' },
        h('section', { class: 'card' },
          h('h3', { class: 'card-title' }, t('ps.app.statement')),
          a.statement ? h('div', { class: 'sf-text', 'data-testid': 'application-statement' }, a.statement)
            : h('div', { class: 'muted sf-small', 'data-testid': 'application-statement' }, t('ps.app.noStatement'))),
        a.refusal_reason ? h('section', { class: 'card card-danger' },
          h('h3', { class: 'card-title' }, t('ps.app.refusal')),
          h('div', { class: 'sf-text', 'data-testid': 'application-refusal' }, a.refusal_reason)) : null,
        h('section', { class: 'card' },
          h('h3', { class: 'card-title' }, t('ps.app.sec.timeline')),
          timelineView(a.timeline, name))));
  }

  await reload();
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), onclick: () => reload() }, icon('refresh'));
  return page({ title: t('ps.app.detail'), back: true, actions: refreshBtn, body, wide: true, className: 'sf-page sf-detailpage ps-app-detailpage' });
}
