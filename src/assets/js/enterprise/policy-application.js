// enterprise/policy-application.js — one of the enterprise's applications (#/e/applications/:id):
// its policy, status and steps (申报 → 审核 → 兑现, or 认定 → 兑现 for 免申即享), the amounts
// asked, approved and paid (in yuan), the refusal's reason, the statement, and its timeline,
// newest first.
//
// Test ids (stable, for tests/e2e):
//   application-created application-head application-status (data-status) application-policy
//   application-steps application-channel application-requested application-approved
//   application-paid application-refusal application-statement application-timeline
//   application-event (data-action) application-reapply

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { page } from '../core/layout.js';
import { cell, cells } from '../core/controls.js';
import { fmtDateTime } from '../core/format.js';
import { appStatusTag, fmtMoney } from './policy-shared.js';

function steps(a) {
  const granted = a.channel === 'granted';
  const names = granted ? ['ep.apps.step.grant', 'ep.apps.step.pay'] : ['ep.apps.step.apply', 'ep.apps.step.review', 'ep.apps.step.pay'];
  // The index of the step under way; past the last when paid.
  const at = granted ? { approved: 1, paid: 2 }[a.status] : { submitted: 1, approved: 2, paid: 3 }[a.status];
  if (at === undefined) return null;
  return h('ol', { class: 'steps', 'data-testid': 'application-steps' },
    names.map((n, i) => {
      const done = i < at;
      const cur = i === at;
      return h('li', { class: ['step', done && 'done', cur && 'current'], 'aria-current': cur ? 'step' : null },
        h('span', { class: 'step-dot', 'aria-hidden': 'true' }, done ? icon('check') : String(i + 1)), h('span', { class: 'step-name' }, t(n)));
    }));
}

/** What an amount on a step is: asked for, approved (or granted), paid. */
const AMOUNT_OF = {
  applied: 'ep.apps.amountRequested',
  recorded: 'ep.apps.amountRequested',
  granted: 'ep.apps.amountApproved',
  approved: 'ep.apps.amountApproved',
  paid: 'ep.apps.amountPaid',
};

function timeline(events) {
  const items = [...(events || [])].sort((x, y) => y.seq - x.seq);
  if (!items.length) return h('div', { class: 'timeline timeline-empty muted' }, t('tl.empty'));
  return h('ol', { class: 'timeline', 'data-testid': 'application-timeline' },
    items.map((e, i) => h('li', { class: ['tl-item', i === 0 && 'tl-latest'], 'data-testid': 'application-event', 'data-action': e.action },
      h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
      h('div', { class: 'tl-main' },
        h('div', { class: 'tl-head' },
          h('span', { class: 'tl-title' }, t(`ep.apps.action.${e.action}`)),
          h('time', { class: 'tl-time', datetime: e.at }, fmtDateTime(e.at))),
        e.amount_fen !== null && e.amount_fen !== undefined
          ? h('div', { class: 'tl-detail' }, t(AMOUNT_OF[e.action] || 'ep.apps.amount', { amount: fmtMoney(e.amount_fen) })) : null,
        e.note ? h('div', { class: 'tl-note' }, e.note) : null))));
}

export async function applicationPage(params, query) {
  const a = await api('GET', `/policy-applications/${encodeURIComponent(params.id)}`);
  const policyHref = `#/e/policies/${encodeURIComponent(a.policy_id)}`;
  const money = (fen) => (fen === null || fen === undefined ? null : fmtMoney(fen));

  const blocks = [];
  if (query.created) {
    blocks.push(h('div', { class: 'notice notice-success', role: 'status', 'data-testid': 'application-created' }, icon('check'), h('span', null, t('ep.apps.created'))));
  }
  blocks.push(h('div', { class: 'card ticket-head', 'data-testid': 'application-head' },
    h('div', { class: 'th-row' }, appStatusTag(a.status, 'application-status'), h('span', { class: 'tag tag-muted', 'data-testid': 'application-channel' }, t(`ep.apps.channel.${a.channel}`))),
    h('h2', { class: 'th-title' }, h('a', { class: 'ep-title-link', href: policyHref, 'data-testid': 'application-policy' }, a.policy_title || t('ep.apps.viewPolicy'))),
    steps(a)));
  if (a.status === 'refused') {
    blocks.push(h('section', { class: 'card card-danger' },
      h('h3', { class: 'card-title' }, t('ep.apps.refusal')),
      h('p', { class: 'pre', 'data-testid': 'application-refusal' }, a.refusal_reason || ''),
      h('p', { class: 'muted ep-small' }, t('ep.refusedNotice'),
        ' ', h('a', { href: policyHref, 'data-testid': 'application-reapply' }, t('ep.apps.viewPolicy')))));
  }
  blocks.push(cells(
    cell({ label: t('ep.apps.at'), value: fmtDateTime(a.created_at) }),
    money(a.requested_fen) ? cell({ label: t('ep.apps.requested'), value: h('span', { 'data-testid': 'application-requested' }, money(a.requested_fen)) }) : null,
    money(a.approved_fen) ? cell({ label: t('ep.apps.approved'), value: h('span', { class: 'ep-amount', 'data-testid': 'application-approved' }, money(a.approved_fen)) }) : null,
    money(a.paid_fen) ? cell({ label: t('ep.apps.paid'), value: h('span', { class: 'ep-amount', 'data-testid': 'application-paid' }, money(a.paid_fen)) }) : null,
    a.paid_at ? cell({ label: t('ep.apps.paidAt'), value: fmtDateTime(a.paid_at) }) : null,
    cell({ label: t('ep.apps.policy'), value: t('ep.apps.viewPolicy'), to: policyHref })));
  if (a.statement) {
    blocks.push(h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('ep.apps.statement')), h('p', { class: 'pre', 'data-testid': 'application-statement' }, a.statement)));
  }
  blocks.push(h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('ep.apps.progress')), timeline(a.timeline)));
  return page({ title: t('ep.apps.detail'), back: true, body: h('div', { class: 'detail ep-detail' }, blocks) });
}
