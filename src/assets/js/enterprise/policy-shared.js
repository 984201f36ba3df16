// enterprise/policy-shared.js — what the enterprise's 送政策 pages share: amounts in fen shown
// in yuan (fmtMoney), a benefit's line, the 符合 / 可能符合 tag with the criteria still unknown,
// an application's state tag, a policy's row in a list (policyItem), the application window in
// words, and the fields and qualifications (policy-terms) fetched once per page load.
//
// Test ids (stable, for tests/e2e):
//   policy-item (data-id, data-fit, data-free-grant) policy-item-title policy-fit (data-fit)
//   policy-unknown policy-app-state (data-status) policy-benefit policy-window

import { h } from '../core/dom.js';
import { t, lang } from '../core/i18n.js';
import { api } from '../core/api.js';
import { fmtDate } from '../core/format.js';

/** An amount in fen as Chinese readers say it: 50 万元, 1.5 亿元, 12,345.60 元 (¥… in English). */
export function fmtMoney(fen) {
  if (fen === null || fen === undefined || Number.isNaN(Number(fen))) return '';
  const n = Number(fen);
  const yuan = n / 100;
  const num = (v, cents) => v.toLocaleString('zh-CN', { minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: 2 });
  if (lang() !== 'en') {
    // 亿 and 万 only where they need at most two decimals: 1.5 亿元, 50 万元, but 12,345 元.
    if (n >= 1e10 && n % 1e8 === 0) return t('ep.yi', { n: num(yuan / 1e8, false) });
    if (n >= 1e6 && n % 1e4 === 0) return t('ep.wan', { n: num(yuan / 1e4, false) });
  }
  return t('ep.yuan', { n: num(yuan, n % 100 !== 0) });
}

/** Yuan typed in a form ('200000', '1,234.5') as fen; null when empty; NaN when not an amount. */
export function yuanToFen(text) {
  const s = String(text || '').replace(/[,，\s]/g, '').replace(/元$/, '');
  if (!s) return null;
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return NaN;
  const [whole, frac = ''] = s.split('.');
  return Number(whole) * 100 + Number((frac + '00').slice(0, 2));
}

/** The benefit's figure: the amount, or the rate; null for one only words describe. */
export function benefitFigure(benefit) {
  if (!benefit) return null;
  if (benefit.kind === 'amount' && benefit.amount_fen) return fmtMoney(benefit.amount_fen);
  if (benefit.kind === 'rate' && benefit.rate_percent !== null && benefit.rate_percent !== undefined) {
    return t('ep.rate', { n: Number(benefit.rate_percent).toLocaleString('zh-CN', { maximumFractionDigits: 2 }) });
  }
  return null;
}

/** The benefit in one line: its figure, then its words. */
export function benefitLine(benefit, testid = 'policy-benefit') {
  const figure = benefitFigure(benefit);
  return h('div', { class: 'ep-benefit', 'data-testid': testid },
    figure ? h('span', { class: 'ep-figure' }, figure) : null,
    h('span', { class: 'ep-benefit-text' }, (benefit && benefit.description) || ''));
}

export function criterionName(c) { return t(`ep.crit.${c}`); }

/** '企业资质、成立日期' */
export function criteriaList(list) { return (list || []).map(criterionName).join(t('ep.listSep')); }

export function fitTag(fit, testid = 'policy-fit') {
  if (!fit) return null;
  return h('span', { class: ['tag', `ep-fit-${fit}`], 'data-testid': testid, 'data-fit': fit }, t(`ep.fit.${fit}`));
}

/** '尚不清楚：企业资质' for a policy that may fit; null otherwise. */
export function unknownNote(standing, testid = 'policy-unknown') {
  if (!standing || standing.fit !== 'may_fit' || !(standing.unknown || []).length) return null;
  return h('span', { class: 'ep-unknown', 'data-testid': testid }, t('ep.unknown', { list: criteriaList(standing.unknown) }));
}

/** An application's status as a tag (已申报 · 待审核, 已批准, 未通过, 已兑现). */
export function appStateTag(application, testid = 'policy-app-state') {
  if (!application) return null;
  return h('span', { class: ['tag', `ep-app-${application.status}`], 'data-testid': testid, 'data-status': application.status },
    t(`ep.app.${application.status}`));
}

/** The application status as the application's own pages name it (待审核, 已批准…). */
export function appStatusTag(status, testid) {
  return h('span', { class: ['tag', `ep-app-${status}`], 'data-testid': testid, 'data-status': status }, t(`ep.apps.status.${status}`));
}

/** Today in China, YYYY-MM-DD. */
export function chinaToday() { return fmtDate(new Date().toISOString()); }

/** The application window in words and its class: 申报中 · 截止 2026-12-31, 常年受理, 未开始, 已截止. */
export function windowState(p) {
  if (p.free_grant) return { text: t('ep.freeGrant'), cls: 'ep-win-free' };
  if (!p.in_force) return { text: t('ep.notInForce'), cls: 'ep-win-closed' };
  if (p.window_open) {
    return { text: p.closes_on ? t('ep.window.until', { day: p.closes_on }) : t('ep.window.always'), cls: 'ep-win-open' };
  }
  if (p.opens_on && p.opens_on > chinaToday()) return { text: `${t('ep.window.notYet')} · ${t('ep.from', { day: p.opens_on })}`, cls: 'ep-win-soon' };
  return { text: t('ep.window.closed'), cls: 'ep-win-closed' };
}

let termsPromise = null;
/** The fields (领域) and qualifications (资质): {fields: [...], quals: [...], name(id)}, fetched once. */
export function policyTerms() {
  if (!termsPromise) {
    termsPromise = api('GET', '/policy-terms').then((r) => {
      const items = r.items || [];
      const byId = new Map(items.map((x) => [x.id, x]));
      return {
        fields: items.filter((x) => x.kind === 'field'),
        quals: items.filter((x) => x.kind === 'qualification'),
        name: (id) => (byId.get(id) || {}).name || '',
      };
    }).catch(() => { termsPromise = null; return { fields: [], quals: [], name: () => '' }; });
  }
  return termsPromise;
}

/**
 * A policy as a row of a list: its title, benefit, and — when the enterprise's standing is
 * known — 符合 / 可能符合 with what is unknown, and its application's state. `meta` is a line
 * of small words (the field and department) or null.
 */
export function policyItem(p, standing, meta) {
  const win = windowState(p);
  const app = standing && standing.application;
  return h('a', { class: 'list-item ep-item', href: `#/e/policies/${encodeURIComponent(p.id)}`, 'data-testid': 'policy-item',
    'data-id': p.id, 'data-fit': standing ? standing.fit : null, 'data-free-grant': p.free_grant ? 'true' : 'false' },
  h('div', { class: 'ti-title ep-item-title', 'data-testid': 'policy-item-title' }, p.title),
  benefitLine(p.benefit),
  meta ? h('div', { class: 'ep-meta muted' }, meta) : null,
  h('div', { class: 'ep-tags' },
    standing ? fitTag(standing.fit) : null,
    unknownNote(standing),
    p.free_grant ? h('span', { class: 'tag ep-free' }, t('ep.freeGrant')) : null,
    appStateTag(app),
    h('span', { class: ['ep-window', win.cls], 'data-testid': 'policy-window' }, p.free_grant ? '' : win.text)));
}
