// enterprise/policy-detail.js — one policy (#/e/policies/:id) as an enterprise reads it: what it
// gives, who it is for (each criterion in words, ✓ or ? against the enterprise's standing, with
// the enterprise's own value), the window and term, how to apply, the contact, its documents,
// the full text (folded), its versions; 免申即享 said so; the enterprise's application if it has
// one; and the buttons its `allowed` offers: 我要申报 (apply) and 政策咨询 (ask).
//
// Test ids (stable, for tests/e2e):
//   policy-head policy-title policy-doc-number policy-summary policy-fit
//   policy-standing (data-fit) policy-complete-profile policy-free-grant policy-application
//   (data-id, data-status) policy-application-state policy-benefit policy-criteria
//   policy-criterion (data-criterion, data-mark: met | unknown | none) policy-other-conditions
//   policy-window policy-expires policy-department policy-how policy-contact policy-documents
//   (core attachments) policy-full-text policy-versions; the actions: policy-ask (ask),
//   policy-apply (apply: 我要申报, 重新申报 after a refusal) or policy-view-application

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { session } from '../core/session.js';
import { page } from '../core/layout.js';
import { cell, cells } from '../core/controls.js';
import { fmtDate } from '../core/format.js';
import { attachmentsView } from '../core/attachments.js';
import { departments } from './tickets.js';
import { benefitFigure, criteriaList, fitTag, appStateTag, policyTerms, windowState } from './policy-shared.js';

/** The phone numbers in a contact line as tel: links, the rest as text. */
function withCalls(text) {
  const out = [];
  const re = /(0\d{2,3}-?\d{7,8}|1[3-9]\d{9})/g;
  let at = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > at) out.push(text.slice(at, m.index));
    out.push(h('a', { href: `tel:${m[1].replace(/-/g, '')}`, class: 'ep-tel' }, icon('phone'), m[1]));
    at = m.index + m[1].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

const list = (xs) => xs.filter(Boolean).join(t('ep.listSep'));

/** The criteria the policy names: [{criterion, words, yours}], in the order matching judges them. */
function criteriaRows(c, terms, ent, traits) {
  const rows = [];
  const tr = traits || {};
  const qualNames = (ids) => list((ids || []).map((id) => terms.name(id)));
  if ((c.industry_chains || []).length) {
    rows.push({ criterion: 'industry_chain', words: list(c.industry_chains), yours: ent ? ent.industry_chain : undefined });
  }
  if ((c.areas || []).length) rows.push({ criterion: 'area', words: list(c.areas), yours: ent ? ent.area : undefined });
  if ((c.scales || []).length) {
    rows.push({ criterion: 'scale', words: list(c.scales.map((s) => t(`ep.scale.${s}`))), yours: tr.scale ? t(`ep.scale.${tr.scale}`) : null });
  }
  if ((c.sizes || []).length) {
    rows.push({ criterion: 'size', words: list(c.sizes.map((s) => t(`ep.size.${s}`))), yours: tr.size ? t(`ep.size.${tr.size}`) : null });
  }
  if ((c.qualification_ids || []).length) {
    const names = qualNames(c.qualification_ids);
    const held = tr.qualification_ids;
    rows.push({
      criterion: 'qualifications',
      words: c.qualification_ids.length > 1 ? t('ep.qualsAny', { list: names }) : names,
      yours: held === null || held === undefined ? null : (held.length ? qualNames(held) : t('common.none')),
    });
  }
  if (c.founded_after || c.founded_before) {
    const words = c.founded_after && c.founded_before ? t('ep.founded.between', { from: c.founded_after, to: c.founded_before })
      : c.founded_after ? t('ep.founded.after', { day: c.founded_after }) : t('ep.founded.before', { day: c.founded_before });
    rows.push({ criterion: 'founded', words, yours: tr.founded_on || null });
  }
  return rows;
}

function criteriaCard(p, standing, terms, ent, traits) {
  const rows = criteriaRows(p.criteria || {}, terms, ent, traits);
  const unknown = (standing && standing.unknown) || [];
  const markOf = (criterion) => {
    if (!standing || standing.fit === 'no') return 'none';
    return unknown.includes(criterion) ? 'unknown' : 'met';
  };
  const mark = (m) => (m === 'met' ? h('span', { class: 'ep-mark ep-mark-met', role: 'img', 'aria-label': t('ep.met') }, icon('check'))
    : m === 'unknown' ? h('span', { class: 'ep-mark ep-mark-unknown', role: 'img', 'aria-label': t('ep.unknownMark') }, '?')
      : h('span', { class: 'ep-mark ep-mark-none', 'aria-hidden': 'true' }, '·'));
  return h('section', { class: 'card', 'data-testid': 'policy-criteria' },
    h('h3', { class: 'card-title' }, t(p.free_grant ? 'ep.whoFree' : 'ep.who')),
    rows.length ? h('ul', { class: 'ep-criteria' }, rows.map((r) => {
      const m = markOf(r.criterion);
      return h('li', { class: ['ep-criterion', `ep-criterion-${m}`], 'data-testid': 'policy-criterion', 'data-criterion': r.criterion, 'data-mark': m },
        mark(m),
        h('div', { class: 'ep-criterion-main' },
          h('div', null, h('span', { class: 'ep-criterion-name' }, t(`ep.crit.${r.criterion}`)), t('ep.colon'), r.words),
          r.yours !== undefined ? h('div', { class: ['ep-yours', m === 'unknown' && 'ep-yours-unknown'] },
            r.yours ? t('ep.yours', { value: r.yours }) : t('ep.yoursUnknown')) : null));
    })) : h('p', { class: 'muted' }, t('ep.whoOpen')),
    p.other_conditions ? h('div', { class: 'ep-other', 'data-testid': 'policy-other-conditions' },
      h('div', { class: 'ep-other-title' }, t('ep.other')),
      h('p', { class: 'pre' }, p.other_conditions),
      h('p', { class: 'muted ep-small' }, t('ep.otherNote'))) : null);
}

/** Where the enterprise stands: fits, may fit (and what to complete), or not. */
function standingNotice(standing, manager, freeGrant) {
  if (!standing) return null;
  if (standing.fit === 'fits') {
    return h('div', { class: 'notice notice-success', 'data-testid': 'policy-standing', 'data-fit': 'fits' }, icon('check'),
      h('span', null, t(freeGrant ? 'ep.standing.fitsFree' : 'ep.standing.fits')));
  }
  if (standing.fit === 'may_fit') {
    return h('div', { class: 'notice notice-warn', 'data-testid': 'policy-standing', 'data-fit': 'may_fit' },
      h('span', null, t('ep.standing.may_fit', { list: criteriaList(standing.unknown) }), manager ? null : t('ep.standing.completeOther')),
      manager ? h('a', { class: 'btn btn-ghost btn-small', href: '#/e/profile', 'data-testid': 'policy-complete-profile' }, t('ep.standing.completeManager')) : null);
  }
  return h('div', { class: 'notice', 'data-testid': 'policy-standing', 'data-fit': 'no' },
    h('span', null, t('ep.standing.no')),
    manager ? h('a', { class: 'btn btn-ghost btn-small', href: '#/e/profile', 'data-testid': 'policy-complete-profile' }, t('ep.prof.link')) : null);
}

function applicationNotice(a) {
  if (!a) return null;
  const day = fmtDate(a.created_at);
  return h('a', { class: 'notice notice-cta ep-app-notice', href: `#/e/applications/${encodeURIComponent(a.id)}`, 'data-testid': 'policy-application', 'data-id': a.id, 'data-status': a.status },
    h('div', { class: 'ep-app-notice-main' },
      h('div', null, t(a.channel === 'granted' ? 'ep.grantedNotice' : 'ep.appliedNotice', { day }), ' ', appStateTag(a, 'policy-application-state')),
      a.status === 'refused' ? h('div', { class: 'ep-small muted' }, t('ep.refusedNotice')) : null),
    h('span', { class: 'ep-app-notice-go' }, t('ep.viewApplication'), icon('chevron')));
}

export async function policyPage(params) {
  const id = params.id;
  const me = session.user() || {};
  const [p, terms, depts] = await Promise.all([
    api('GET', `/policies/${encodeURIComponent(id)}`),
    policyTerms(),
    departments(),
  ]);
  // The enterprise's own values beside each criterion; the page stands without them.
  const eid = me.enterprise_id ? encodeURIComponent(me.enterprise_id) : null;
  const [ent, traits] = eid ? await Promise.all([
    api('GET', `/enterprises/${eid}`).catch(() => null),
    api('GET', `/enterprises/${eid}/traits`).catch(() => null),
  ]) : [null, null];
  const standing = p.standing || null;
  const app = standing && standing.application;
  const manager = !!me.enterprise_manager;
  const allowed = p.allowed || [];
  const figure = benefitFigure(p.benefit);
  const win = windowState(p);

  const head = h('div', { class: 'card ep-head', 'data-testid': 'policy-head' },
    h('div', { class: 'th-row' },
      terms.name(p.field_id) ? h('span', { class: 'tag tag-muted' }, terms.name(p.field_id)) : null,
      standing ? fitTag(standing.fit) : null,
      p.free_grant ? h('span', { class: 'tag ep-free' }, t('ep.freeGrant')) : null),
    h('h2', { class: 'th-title', 'data-testid': 'policy-title' }, p.title),
    p.document_number ? h('div', { class: 'muted ep-docno', 'data-testid': 'policy-doc-number' }, p.document_number) : null,
    p.summary ? h('p', { class: 'ep-summary pre', 'data-testid': 'policy-summary' }, p.summary) : null);

  const benefit = h('section', { class: 'card ep-benefit-card', 'data-testid': 'policy-benefit' },
    h('h3', { class: 'card-title' }, t('ep.benefit')),
    figure ? h('div', { class: 'ep-figure-big' }, figure) : null,
    h('p', { class: 'pre' }, (p.benefit && p.benefit.description) || ''));

  const windowText = p.opens_on && p.closes_on ? t('ep.range', { from: p.opens_on, to: p.closes_on })
    : p.closes_on ? t('ep.window.until', { day: p.closes_on })
      : p.opens_on ? t('ep.from', { day: p.opens_on }) : t('ep.window.always');
  const versions = p.versions || [];
  const latest = versions[0];
  const facts = cells(
    p.free_grant ? null : cell({ label: t('ep.window'), value: h('span', { 'data-testid': 'policy-window' },
      windowText, ' ', p.window_open ? h('span', { class: 'tag ep-fit-fits' }, t('ep.window.open')) : h('span', { class: 'tag tag-muted' }, win.text)) }),
    cell({ label: t('ep.expires'), value: h('span', { 'data-testid': 'policy-expires' }, p.expires_on ? t('ep.expiresOn', { day: p.expires_on }) : t('ep.noExpiry')) }),
    cell({ label: t('ep.department'), value: h('span', { 'data-testid': 'policy-department' }, depts.get(p.department_id) || '') }),
    p.published_at ? cell({ label: t('ep.published'), value: fmtDate(p.published_at) }) : null,
    latest ? cell({ label: t('ep.versionLabel'), value: t('ep.version', { n: latest.version }) }) : null);

  const blocks = [head];
  blocks.push(standingNotice(standing, manager, p.free_grant));
  blocks.push(applicationNotice(app));
  if (p.free_grant) blocks.push(h('div', { class: 'notice notice-info', 'data-testid': 'policy-free-grant' }, icon('check'), h('span', null, t('ep.freeGrantNotice'))));
  if (!p.in_force) blocks.push(h('div', { class: 'notice' }, h('span', null, t('ep.notInForce'))));
  blocks.push(benefit);
  blocks.push(criteriaCard(p, standing, terms, ent, traits));
  blocks.push(facts);
  if (p.how_to_apply) {
    blocks.push(h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('ep.how')), h('p', { class: 'pre', 'data-testid': 'policy-how' }, p.how_to_apply)));
  }
  if (p.contact) {
    blocks.push(h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('ep.contact')), h('p', { class: 'pre', 'data-testid': 'policy-contact' }, withCalls(p.contact))));
  }
  if ((p.documents || []).length) {
    blocks.push(h('section', { class: 'card', 'data-testid': 'policy-documents' }, h('h3', { class: 'card-title' }, t('ep.documents')), attachmentsView(p.documents)));
  }
  if (p.full_text) {
    blocks.push(h('section', { class: 'card' },
      h('details', { class: 'ep-fulltext', 'data-testid': 'policy-full-text' },
        h('summary', null, h('span', { class: 'card-title ep-fulltext-title' }, t('ep.fullText')), h('span', { class: 'ep-fulltext-show muted' }, t('ep.fullTextShow'))),
        h('div', { class: 'pre ep-fulltext-body' }, p.full_text))));
  }
  if (versions.length > 1) {
    blocks.push(h('section', { class: 'card', 'data-testid': 'policy-versions' },
      h('h3', { class: 'card-title' }, t('ep.versions')),
      h('ol', { class: 'ep-versions' }, versions.map((v) => h('li', null,
        h('div', { class: 'strong' }, t('ep.versionLine', { n: v.version, day: fmtDate(v.published_at) })),
        v.note ? h('div', { class: 'pre muted' }, v.note) : null)))));
  }

  // The buttons: what the server allows this reader (`allowed`). 申报 is left out while an
  // application stands (the server would refuse it: application_exists) or when the
  // enterprise plainly does not fit (wrong_state): the notices above say why.
  const live = app && app.status !== 'refused';
  const actions = [];
  if (allowed.includes('ask')) {
    actions.push(h('a', { class: 'btn btn-ghost', href: `#/e/policies/${encodeURIComponent(p.id)}/ask`, 'data-testid': 'policy-ask' }, t('ep.ask')));
  }
  if (live) {
    actions.push(h('a', { class: 'btn btn-primary', href: `#/e/applications/${encodeURIComponent(app.id)}`, 'data-testid': 'policy-view-application' }, t('ep.viewApplication')));
  } else if (allowed.includes('apply') && !(standing && standing.fit === 'no')) {
    actions.push(h('a', { class: 'btn btn-primary', href: `#/e/policies/${encodeURIComponent(p.id)}/apply`, 'data-testid': 'policy-apply' }, app ? t('ep.reapply') : t('ep.apply')));
  }
  const body = h('div', { class: ['detail', 'ep-detail', actions.length && 'has-actionbar'] }, blocks,
    actions.length ? h('div', { class: 'actionbar' }, actions) : null);
  return page({ title: t('ep.detail'), back: true, body });
}
