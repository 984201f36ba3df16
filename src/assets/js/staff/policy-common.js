// staff/policy-common.js — what the desks' policy pages share (送政策): the terms (fields and
// qualifications, cached), amounts (fen as 元 and back), the tags of a policy's status, of
// 免申即享, of an application's status and channel, a policy's criteria and benefit in words,
// the pages' addresses, whether the reader handles an application, and the server's field
// messages of a policy's form in Chinese.
//
// Test ids (stable, for tests/e2e):
//   policy-status (data-status draft|published|withdrawn|expired) policy-free-tag
//   application-status (data-status) application-channel (data-channel)

import { h } from '../core/dom.js';
import { t, lang } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { session } from '../core/session.js';
import { cached } from '../desk/directory.js';

export const POLICY_STATUSES = ['draft', 'published', 'withdrawn'];
export const APPLICATION_STATUSES = ['submitted', 'approved', 'refused', 'paid'];
export const SCALES = ['above', 'below'];
export const SIZES = ['large', 'medium', 'small', 'micro'];

/** The policy terms (fields 领域 and qualifications 资质), every one, retired ones too. */
export function policyTerms() {
  return cached('policy-terms', () => api('GET', '/policy-terms').then((r) => r.items || []));
}

export function policyHref(id) { return `#/s/policies/${encodeURIComponent(id)}`; }
export function applicationHref(id) { return `#/s/applications/${encodeURIComponent(id)}`; }

const money = () => new Intl.NumberFormat(lang() === 'en' ? 'en-US' : 'zh-CN', { minimumFractionDigits: 0, maximumFractionDigits: 2 });

/** 5000000 → '50,000 元'; '' for none. */
export function fmtYuan(fen) {
  if (fen === null || fen === undefined) return '';
  return t('ps.yuan', { n: money().format(fen / 100) });
}

/** What a 元 input holds as fen: null when empty, NaN when it is not an amount (two decimals at most). */
export function yuanToFen(text) {
  const s = String(text ?? '').trim().replace(/[,，]/g, '');
  if (!s) return null;
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return NaN;
  return Math.round(Number(s) * 100);
}

/** Fen as what a 元 input shows: 300050 → '3000.5'. */
export function fenToYuanText(fen) {
  if (fen === null || fen === undefined) return '';
  return String(fen / 100);
}


/** A policy's status; a published one that is no longer in force reads 已失效. */
export function policyStatus(p) {
  return p.status === 'published' && !p.in_force ? 'expired' : p.status;
}

export function policyStatusTag(p) {
  const s = policyStatus(p);
  return h('span', { class: ['tag', `ps-st-${s}`], 'data-testid': 'policy-status', 'data-status': s }, t(`ps.status.${s}`));
}

export function freeGrantTag() {
  return h('span', { class: 'tag ps-tag-free', 'data-testid': 'policy-free-tag' }, t('ps.freeGrant'));
}

/** The benefit's headline: the amount, the rate, or its kind. */
export function benefitHeadline(b) {
  if (!b) return '';
  if (b.kind === 'amount' && b.amount_fen) return fmtYuan(b.amount_fen);
  if (b.kind === 'rate' && b.rate_percent) return t('ps.rate', { n: b.rate_percent });
  return t(`ps.benefit.${b.kind || 'other'}`);
}

/** The structured criteria as [label, value] rows (nothing when every enterprise fits). */
export function criteriaRows(c, termName) {
  const rows = [];
  if (!c) return rows;
  const join = (xs) => xs.join('、');
  if ((c.industry_chains || []).length) rows.push([t('ps.crit.industry_chains'), join(c.industry_chains)]);
  if ((c.areas || []).length) rows.push([t('ps.crit.areas'), join(c.areas)]);
  if ((c.scales || []).length) rows.push([t('ps.crit.scales'), join(c.scales.map((s) => t(`ps.scale.${s}`)))]);
  if ((c.sizes || []).length) rows.push([t('ps.crit.sizes'), join(c.sizes.map((s) => t(`ps.size.${s}`)))]);
  if ((c.qualification_ids || []).length) rows.push([t('ps.crit.qualifications'), join(c.qualification_ids.map((q) => termName(q) || q))]);
  if (c.founded_after && c.founded_before) rows.push([t('ps.crit.founded'), t('ps.crit.foundedRange', { from: c.founded_after, to: c.founded_before })]);
  else if (c.founded_after) rows.push([t('ps.crit.founded'), t('ps.crit.foundedAfter', { day: c.founded_after })]);
  else if (c.founded_before) rows.push([t('ps.crit.founded'), t('ps.crit.foundedBefore', { day: c.founded_before })]);
  return rows;
}

/** The application window in words. */
export function windowText(p) {
  if (p.opens_on && p.closes_on) return t('ps.window.range', { from: p.opens_on, to: p.closes_on });
  if (p.opens_on) return t('ps.window.from', { from: p.opens_on });
  if (p.closes_on) return t('ps.window.until', { to: p.closes_on });
  return t('ps.window.any');
}

const APP_LOOK = { submitted: 'tag-submitted', approved: 'tag-accepted', refused: 'tag-rejected', paid: 'tag-resolved' };

export function appStatusTag(status) {
  return h('span', { class: ['tag', APP_LOOK[status] || 'tag-muted'], 'data-testid': 'application-status', 'data-status': status }, t(`ps.app.status.${status}`));
}

export function channelTag(channel) {
  return h('span', { class: ['tag', channel === 'granted' ? 'ps-tag-free' : 'ps-tag-channel'], 'data-testid': 'application-channel', 'data-channel': channel }, t(`ps.app.channel.${channel}`));
}

/**
 * Whether the reader reviews and pays this application: the policy's department and the
 * administrators (service::policy_applications). The API sends no `allowed` with an
 * application, so this is the one place the pages say it; the server decides.
 */
export function handlesApplication(app) {
  const me = session.user() || {};
  return me.role === 'admin' || (me.role === 'cadre' && !!me.department_id && me.department_id === app.department_id);
}

/** A write refused because someone else changed the thing first. */
export function isStale(err) {
  return err instanceof ApiError && (err.status === 412 || err.status === 409
    || ['version_mismatch', 'concurrent_update', 'wrong_state'].includes(err.code));
}

/** The server's messages for a policy's form, in the page's words (by field, then by message). */
const FIELD_WORDS = [
  [/^department_id$/, /./, 'ps.fe.department'],
  [/^field_id$/, /./, 'ps.fe.field'],
  [/^benefit\.amount_fen$/, /fen$/, 'ps.fe.amount'],
  [/^benefit\.amount_fen$/, /between/, 'ps.fe.fen'],
  [/^benefit\.rate_percent$/, /./, 'ps.fe.rate'],
  [/^closes_on$/, /before/, 'ps.fe.closes'],
  [/^criteria\.founded_before$/, /before/, 'ps.fe.founded'],
  [/^criteria\./, /values|characters each/, 'ps.fe.values'],
  [/^note$/, /amended/, 'ps.fe.note'],
  [/^attachment_ids$/, /./, 'ps.fe.attachments'],
];

export function localizePolicyFields(err) {
  if (!(err instanceof ApiError) || !err.fields || lang() === 'en') return err;
  for (const [name, msg] of Object.entries(err.fields)) {
    const hit = FIELD_WORDS.find(([f, m]) => f.test(name) && m.test(String(msg)));
    if (hit) err.fields[name] = t(hit[2]);
  }
  return err;
}
