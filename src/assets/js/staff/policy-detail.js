// staff/policy-detail.js — one policy on the desks (#/s/policies/:id): its title, status, 文号,
// department, field, version, dates and the questions enterprises asked; the benefit, summary,
// criteria, how to apply, full text and documents; the versions, each earlier one's text
// readable; and the buttons of what the reader may do now — from the policy's `allowed` only:
// 编辑草稿 (edit), 发布 (publish, with If-Match), 修订 (amend), 撤回 (withdraw, with the reason),
// 符合条件的企业 (see_fitting), 免申即享发放 (grant), 代录申报 (record_application: an application
// made on paper, for an enterprise from the fitting list), and 申报记录 beside the fitting list
// (and on a withdrawn policy, whose applications may still be decided and paid).
//
// Test ids (stable, for tests/e2e):
//   policy-detail policy-title policy-kvs policy-actions policy-edit policy-publish policy-amend
//   policy-withdraw policy-fitting policy-grant policy-record policy-applications
//   policy-no-actions policy-withdrawn-notice policy-draft-notice policy-benefit policy-summary
//   policy-criteria policy-criterion policy-apply policy-full-text policy-documents
//   policy-versions policy-version (data-version) policy-version-open policy-version-text
//   record-enterprise record-statement record-requested (form-dialog data-action record)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { session } from '../core/session.js';
import { toast } from '../core/feedback.js';
import { loading, errorState } from '../core/states.js';
import { confirmDialog, promptDialog, openDialog } from '../core/dialogs.js';
import { field } from '../core/forms.js';
import { fmtDateTime } from '../core/format.js';
import { attachmentsView } from '../core/attachments.js';
import { directory, nameMap } from '../desk/directory.js';
import { formDialog, textArea, textInput, selectInput } from '../desk/form-dialog.js';
import { localError } from '../desk/validation.js';
import {
  policyTerms, policyStatusTag, freeGrantTag, benefitHeadline, criteriaRows, windowText,
  fmtYuan, yuanToFen, isStale, applicationHref,
} from './policy-common.js';

/** Longer full texts are folded (a policy's text runs to pages). */
const FOLD_AT = 600;

function kv(label, value, testid) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', { class: 'sf-kv' }, h('dt', null, label), h('dd', { 'data-testid': testid }, value));
}

function textOr(text, testid) {
  return text ? h('div', { class: 'sf-text', 'data-testid': testid }, text) : h('div', { class: 'muted sf-small', 'data-testid': testid }, t('ps.none'));
}

/** The benefit, the summary and the criteria of a text: the policy's now, or an earlier version's. */
function textSections(p, termName) {
  const b = p.benefit || {};
  const rows = criteriaRows(p.criteria, termName);
  return [
    h('section', { class: 'card', 'data-testid': 'policy-benefit' },
      h('h3', { class: 'card-title' }, t('ps.sec.benefit')),
      h('div', { class: 'ps-benefit-big' }, h('span', { class: 'ps-benefit-kind' }, t(`ps.benefit.${b.kind || 'other'}`)), h('strong', null, benefitHeadline(b))),
      b.description ? h('div', { class: 'sf-text' }, b.description) : null),
    h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, t('ps.sec.summary')),
      textOr(p.summary, 'policy-summary')),
    h('section', { class: 'card', 'data-testid': 'policy-criteria' },
      h('h3', { class: 'card-title' }, t('ps.sec.criteria')),
      rows.length ? h('dl', { class: 'sf-kvs ps-criteria' }, rows.map(([l, v]) => h('div', { class: 'sf-kv', 'data-testid': 'policy-criterion' }, h('dt', null, l), h('dd', null, v))))
        : h('p', { class: 'muted' }, t('ps.crit.open')),
      p.other_conditions ? h('div', { class: 'ps-other' }, h('div', { class: 'muted sf-small' }, t('ps.crit.other')), h('div', { class: 'sf-text' }, p.other_conditions)) : null),
  ];
}

/** 申报方式 and 联系方式. */
function applyCard(p) {
  return h('section', { class: 'card', 'data-testid': 'policy-apply' },
    h('h3', { class: 'card-title' }, t('ps.sec.apply')),
    h('dl', { class: 'sf-kvs' },
      h('div', { class: 'sf-kv' }, h('dt', null, t('ps.howToApply')), h('dd', null, p.how_to_apply || t('ps.none'))),
      h('div', { class: 'sf-kv' }, h('dt', null, t('ps.contact')), h('dd', null, p.contact || t('ps.none')))));
}

function fullTextCard(text) {
  let body;
  if (!text) body = h('div', { class: 'muted sf-small' }, t('ps.noFullText'));
  else if ([...text].length <= FOLD_AT) body = h('div', { class: 'sf-text ps-fulltext' }, text);
  else {
    body = h('details', { class: 'sf-more-info ps-fold' },
      h('summary', null, t('ps.showFullText')),
      h('div', { class: 'sf-text ps-fulltext' }, text));
  }
  return h('section', { class: 'card', 'data-testid': 'policy-full-text' }, h('h3', { class: 'card-title' }, t('ps.sec.fullText')), body);
}

/** An earlier version's text, in a dialog. */
async function openVersion(id, n, termName) {
  let v;
  try {
    v = await api('GET', `/policies/${encodeURIComponent(id)}/versions/${n}`);
  } catch (err) { toast(errorMessage(err), 'error'); return; }
  const tx = v.text || {};
  await openDialog((dlg, finish) => {
    dlg.classList.add('sf-dialog', 'sf-dialog-wide', 'ps-version-dialog');
    dlg.append(h('div', { class: 'sf-form' },
      h('div', { class: 'sf-dialog-head' }, h('h2', { class: 'sf-dialog-title' }, t('ps.ver.title', { n: v.version, time: fmtDateTime(v.published_at) }))),
      h('div', { class: 'dialog-body sf-dialog-body', 'data-testid': 'policy-version-text' },
        h('h3', { class: 'ps-version-title' }, tx.title),
        v.note ? h('p', { class: 'sf-dialog-lead' }, t('ps.ver.note', { note: v.note })) : null,
        h('dl', { class: 'sf-kvs' },
          kv(t('ps.kv.docNo'), tx.document_number),
          kv(t('ps.kv.expires'), tx.expires_on ? t('ps.until', { day: tx.expires_on }) : t('ps.noExpiry')),
          kv(t('ps.kv.window'), tx.free_grant ? t('ps.freeGrant') : windowText(tx))),
        textSections(tx, termName),
        applyCard(tx),
        tx.full_text ? h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('ps.sec.fullText')), h('div', { class: 'sf-text ps-fulltext' }, tx.full_text)) : null),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'dialog-cancel', onclick: () => finish(null) }, t('common.close')))));
  });
}

/** 代录申报: an application made on paper, for an enterprise that fits or may fit and has none live. */
async function recordApplication(p) {
  let candidates = [];
  try {
    const r = await api('GET', `/policies/${encodeURIComponent(p.id)}/enterprises`, null, { query: { limit: 500 } });
    candidates = (r.items || []).filter((e) => !e.application_status || e.application_status === 'refused');
  } catch (err) { toast(errorMessage(err), 'error'); return null; }
  const options = [h('option', { value: '' }, candidates.length ? t('ps.rec.pick') : t('ps.rec.noneFit')),
    ...candidates.map((e) => h('option', { value: e.enterprise_id }, `${e.name}（${t(`ps.fit.${e.fit}`)}）`))];
  return formDialog({
    title: t('ps.rec.title'),
    testid: 'form-dialog',
    action: 'record',
    wide: true,
    fields: [
      h('p', { class: 'sf-dialog-lead' }, t('ps.rec.lead')),
      field(t('ps.rec.enterprise'), selectInput('enterprise_id', options, { testid: 'record-enterprise' }), null, { required: true }),
      field(t('ps.rec.statement'), textArea('statement', { rows: 4, max: 2000, testid: 'record-statement' }), t('ps.rec.statementHint'), { required: true }),
      field(t('ps.rec.requested'), textInput('requested_fen', { inputmode: 'decimal', testid: 'record-requested' })),
    ],
    submit: async (form, v) => {
      const fields = {};
      if (!v.enterprise_id) fields.enterprise_id = t('s.required');
      if (!v.statement.trim()) fields.statement = t('s.required');
      const fen = yuanToFen(v.requested_fen);
      if (Number.isNaN(fen)) fields.requested_fen = t('ps.f.badAmount');
      if (Object.keys(fields).length) throw localError(fields);
      return api('POST', `/policies/${encodeURIComponent(p.id)}/applications`, {
        enterprise_id: v.enterprise_id, statement: v.statement.trim(), requested_fen: fen ?? undefined,
      });
    },
  });
}

export async function policyPage({ id }) {
  const body = h('div', { class: 'detail sf-detail ps-detail', 'data-testid': 'policy-detail' }, loading());
  let policy = null;
  const ifMatch = () => ({ headers: { 'If-Match': `"${policy.revision}"` } });

  async function write(run, done) {
    try {
      await run();
      if (done) toast(done, 'success');
    } catch (err) {
      toast(isStale(err) ? t('ps.changed') : errorMessage(err), 'error');
    }
    await reload();
  }

  async function reload() {
    try {
      const [p, depts, terms] = await Promise.all([
        api('GET', `/policies/${encodeURIComponent(id)}`),
        directory.departments().catch(() => []),
        policyTerms().catch(() => []),
      ]);
      policy = p;
      draw(p, nameMap(depts), nameMap(terms));
    } catch (err) {
      body.replaceChildren(errorState(err, reload));
    }
  }

  async function userNames(ids) {
    const names = new Map();
    const me = session.user();
    if (me) names.set(me.id, me.name || me.username);
    // Cadres may not read other accounts: their pages name only themselves.
    if (session.role() === 'admin' || session.role() === 'dispatcher') {
      await Promise.all([...new Set(ids)].filter((u) => u && !names.has(u))
        .map((u) => directory.user(u).then((x) => names.set(u, x.name || x.username), () => {})));
    }
    return names;
  }

  function actionsCard(p) {
    const may = (a) => (p.allowed || []).includes(a);
    const base = `#/s/policies/${encodeURIComponent(p.id)}`;
    const link = (label, href, testid, ic, primary) => h('a', { class: ['btn', 'btn-small', primary ? 'btn-primary' : 'btn-ghost'], href, 'data-testid': testid }, ic ? icon(ic) : null, label);
    const btn = (label, onclick, testid, ic, cls = 'btn-ghost') => h('button', { type: 'button', class: ['btn', 'btn-small', cls], onclick, 'data-testid': testid }, ic ? icon(ic) : null, label);
    const items = [
      may('publish') ? btn(t('ps.act.publish'), async () => {
        if (!await confirmDialog(t('ps.publishConfirm', { title: p.title }), { okText: t('ps.act.publish') })) return;
        write(() => api('POST', `/policies/${encodeURIComponent(p.id)}/publish`, null, ifMatch()), t('ps.published'));
      }, 'policy-publish', 'check', 'btn-primary') : null,
      may('edit') ? link(t('ps.act.edit'), `${base}/edit`, 'policy-edit', 'edit') : null,
      may('grant') ? link(t('ps.act.grant'), `${base}/enterprises?grant=1`, 'policy-grant', 'check', true) : null,
      may('see_fitting') ? link(t('ps.act.fitting'), `${base}/enterprises`, 'policy-fitting', 'building') : null,
      may('see_fitting') ? link(t('ps.act.applications'), `#/s/applications?policy_id=${encodeURIComponent(p.id)}`, 'policy-applications', 'list') : null,
      may('record_application') ? btn(t('ps.act.record'), async () => {
        const made = await recordApplication(p);
        if (made && made.id) { toast(t('ps.rec.done'), 'success'); navigate(applicationHref(made.id)); }
      }, 'policy-record', 'plus') : null,
      may('amend') ? link(t('ps.act.amend'), `${base}/edit`, 'policy-amend', 'edit') : null,
      may('withdraw') ? btn(t('ps.act.withdraw'), async () => {
        const reason = await promptDialog(t('ps.withdrawPrompt'), { multiline: true, required: true, maxLength: 500, okText: t('ps.act.withdraw'), danger: true });
        if (reason === null) return;
        write(() => api('POST', `/policies/${encodeURIComponent(p.id)}/withdraw`, { reason: reason.trim() }), t('ps.withdrawn'));
      }, 'policy-withdraw', null, 'btn-outline-danger') : null,
    ].filter(Boolean);
    // A withdrawn policy's applications may still be decided and paid: its record stays open.
    if (p.status === 'withdrawn') items.push(link(t('ps.act.applications'), `#/s/applications?policy_id=${encodeURIComponent(p.id)}`, 'policy-applications', 'list'));
    const none = p.status === 'withdrawn' ? t('ps.noActionsWithdrawn') : t('ps.noActions');
    return h('section', { class: 'card ps-actions-card' },
      h('h3', { class: 'card-title' }, t('ps.sec.actions')),
      p.status === 'withdrawn' || !items.length ? h('p', { class: 'muted sf-small ps-no-actions', 'data-testid': 'policy-no-actions' }, none) : null,
      items.length ? h('div', { class: 'ps-actions', 'data-testid': 'policy-actions' }, items) : null);
  }

  async function draw(p, depts, terms) {
    const names = await userNames((p.versions || []).map((v) => v.published_by));
    const termName = (x) => terms.get(x);
    const head = h('section', { class: 'card sf-head' },
      h('div', { class: 'sf-head-top' },
        h('span', { class: 'sf-card-tags' }, p.free_grant ? freeGrantTag() : null, p.version ? h('span', { class: 'muted sf-small' }, t('ps.version', { n: p.version })) : null),
        policyStatusTag(p)),
      h('h2', { class: 'sf-head-title', 'data-testid': 'policy-title' }, p.title),
      h('dl', { class: 'sf-kvs', 'data-testid': 'policy-kvs' },
        kv(t('ps.kv.docNo'), p.document_number),
        kv(t('ps.kv.department'), depts.get(p.department_id) || '—'),
        kv(t('ps.kv.field'), termName(p.field_id) || '—'),
        p.published_at ? kv(t('ps.kv.published'), fmtDateTime(p.published_at)) : kv(t('ps.kv.created'), fmtDateTime(p.created_at)),
        kv(t('ps.kv.expires'), p.expires_on ? t('ps.until', { day: p.expires_on }) : t('ps.noExpiry')),
        kv(t('ps.kv.window'), p.free_grant ? t('ps.freeGrant') : `${windowText(p)}${p.in_force ? `（${t(p.window_open ? 'ps.window.open' : 'ps.window.closed')}）` : ''}`),
        p.status !== 'draft' ? kv(t('ps.kv.questions'), t('ps.questions', { n: p.questions || 0 })) : null),
      p.status === 'withdrawn' ? h('div', { class: 'notice notice-warn ps-notice', 'data-testid': 'policy-withdrawn-notice' },
        h('span', null, t('ps.withdrawnNotice', { time: fmtDateTime(p.withdrawn_at), reason: p.withdraw_reason || '' }))) : null,
      p.status === 'draft' ? h('div', { class: 'notice notice-info ps-notice', 'data-testid': 'policy-draft-notice' }, h('span', null, t('ps.draftNotice'))) : null);

    const docs = (p.documents || []).length ? h('section', { class: 'card', 'data-testid': 'policy-documents' },
      h('h3', { class: 'card-title' }, t('ps.sec.documents')), attachmentsView(p.documents)) : null;
    const versions = h('section', { class: 'card', 'data-testid': 'policy-versions' },
      h('h3', { class: 'card-title' }, t('ps.sec.versions')),
      (p.versions || []).length ? h('ol', { class: 'ps-versions' }, p.versions.map((v, i) => h('li', { class: 'ps-version', 'data-testid': 'policy-version', 'data-version': String(v.version) },
        h('div', { class: 'ps-version-head' },
          h('strong', null, t('ps.version', { n: v.version })),
          i === 0 ? h('span', { class: 'tag ps-st-published' }, t('ps.ver.current')) : null,
          h('span', { class: 'muted sf-small' }, `${fmtDateTime(v.published_at)}${names.get(v.published_by) ? ` · ${names.get(v.published_by)}` : ''}`),
          i > 0 ? h('button', { type: 'button', class: 'btn btn-ghost btn-small ps-version-open', 'data-testid': 'policy-version-open',
            onclick: () => openVersion(p.id, v.version, termName) }, t('ps.ver.open')) : null),
        h('div', { class: 'sf-small ps-version-note' }, v.note ? t('ps.ver.note', { note: v.note }) : t('ps.ver.first')))))
        : h('p', { class: 'muted sf-small' }, t('ps.ver.none')));

    body.replaceChildren(
      h('div', { class: 'sf-detail-head' }, head),
      h('aside', { class: 'sf-detail-side' }, actionsCard(p), versions),
      h('div', { class: 'sf-detail-main' }, textSections(p, termName), applyCard(p), fullTextCard(p.full_text), docs));
  }

  await reload();
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), onclick: () => reload() }, icon('refresh'));
  return page({ title: t('ps.detail'), back: () => navigate('#/s/policies'), actions: refreshBtn, body, wide: true, className: 'sf-page sf-detailpage ps-detailpage' });
}
