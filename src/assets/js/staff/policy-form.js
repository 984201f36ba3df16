// staff/policy-form.js — a policy's form on the desks: a new draft (#/s/policies/new: an
// administrator for any department, a cadre for their own), a draft edited and a published
// policy amended (#/s/policies/:id/edit, by the policy's `allowed`: edit, or amend with its
// 修订说明). Title, 文号, department, field, 免申即享; the benefit (an amount in 元, a rate, or
// words); the criteria (industry chains and areas picked from those the reader's enterprises
// have, or typed; 规上/规下, sizes, qualifications, founding dates, other conditions); the
// application window, the last day in force, how to apply and the contact; the summary, the
// full text and the documents. The server checks everything: its 422 names each field, and the
// message shows under it. A change is sent with If-Match; someone else's change first is said.
//
// Test ids (stable, for tests/e2e):
//   policy-form (data-mode new|edit|amend) pf-title pf-docno pf-department pf-field pf-free-grant
//   pf-kind-amount pf-kind-rate pf-kind-other pf-amount pf-rate pf-benefit-desc
//   pf-chains (-input -add -chip -suggest) pf-areas (-input -add -chip -suggest)
//   pf-scale (data-value) pf-size (data-value) pf-qual (data-value) pf-founded-after
//   pf-founded-before pf-other pf-opens pf-closes pf-expires pf-how pf-contact pf-summary
//   pf-full-text pf-docs (core/uploader.js) pf-note pf-submit pf-cancel pf-error pf-not-allowed

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { session } from '../core/session.js';
import { toast } from '../core/feedback.js';
import { errorState } from '../core/states.js';
import { field, formError, setFormError, showFieldErrors, clearFieldErrors, submitBusy } from '../core/forms.js';
import { segmented } from '../core/controls.js';
import { uploader } from '../core/uploader.js';
import { directory, deptSelectOptions, fetchAll, cached } from '../desk/directory.js';
import { textArea, textInput, selectInput } from '../desk/form-dialog.js';
import { localError, localizeFields } from '../desk/validation.js';
import {
  SCALES, SIZES, policyTerms, policyHref, yuanToFen, fenToYuanText, localizePolicyFields, isStale,
} from './policy-common.js';

const TITLE_MAX = 100;
const SUMMARY_MAX = 2000;
const FULL_TEXT_MAX = 50000;

/** The industry chains and areas worth offering: those of the enterprises the reader sees, and those policies name already. */
function criteriaSuggestions() {
  return cached('policy-suggestions', async () => {
    const chains = new Set();
    const areas = new Set();
    const role = session.role();
    let ents = [];
    try {
      if (role === 'admin' || role === 'dispatcher') ents = await fetchAll('/enterprises', {}, 2000);
      else if (role === 'cadre') ents = (await api('GET', '/me/enterprises')).items || [];
    } catch { /* offered from the policies alone */ }
    for (const e of ents) {
      if (e.industry_chain) chains.add(e.industry_chain);
      if (e.area) areas.add(e.area);
    }
    try {
      const r = await api('GET', '/policies', null, { query: { status: 'draft,published,withdrawn', limit: 100 } });
      for (const p of r.items || []) {
        for (const c of (p.criteria && p.criteria.industry_chains) || []) chains.add(c);
        for (const a of (p.criteria && p.criteria.areas) || []) areas.add(a);
      }
    } catch { /* from the enterprises alone */ }
    const sorted = (s) => [...s].sort((a, b) => a.localeCompare(b, 'zh'));
    return { chains: sorted(chains), areas: sorted(areas) };
  }, 60000);
}

/** A list of free values (industry chains, areas): chips, a box to type one, the common ones to tap. */
function valuesPicker({ name, label, values, suggestions, testid }) {
  const chosen = [...(values || [])];
  const chips = h('div', { class: 'sf-chips ps-chips', 'data-testid': testid });
  const sugg = h('div', { class: 'ps-suggest' });
  const input = h('input', { type: 'text', class: 'input', name, maxlength: '100', placeholder: t('ps.f.typeValue'), 'data-testid': `${testid}-input`, autocomplete: 'off', enterkeyhint: 'done' });
  const add = (raw) => {
    const v = String(raw || '').trim();
    if (v && !chosen.includes(v)) chosen.push(v);
    input.value = '';
    draw();
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); add(input.value); } });
  function draw() {
    chips.replaceChildren(...chosen.map((v) => h('span', { class: 'sf-chip ps-chip', 'data-testid': `${testid}-chip`, 'data-value': v },
      h('span', { class: 'sf-chip-name' }, v),
      h('button', { type: 'button', class: 'ps-chip-x', 'aria-label': t('ps.f.removeValue', { v }), onclick: () => { chosen.splice(chosen.indexOf(v), 1); draw(); } }, icon('close')))));
    chips.classList.toggle('hidden', !chosen.length);
    const left = (suggestions || []).filter((s) => !chosen.includes(s));
    sugg.replaceChildren(...(left.length ? [h('span', { class: 'muted sf-small' }, t('ps.f.suggested')),
      ...left.map((s) => h('button', { type: 'button', class: 'sf-chip ps-suggest-chip', 'data-testid': `${testid}-suggest`, 'data-value': s, onclick: () => add(s) }, icon('plus'), h('span', { class: 'sf-chip-name' }, s)))] : []));
  }
  draw();
  const control = h('div', { class: 'ps-picker' }, chips,
    h('div', { class: 'input-with-btn' }, input, h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': `${testid}-add`, onclick: () => add(input.value) }, t('ps.f.addValue'))),
    sugg);
  return {
    element: field(label, control),
    // A value typed but not added counts: it was meant.
    values: () => { const typed = input.value.trim(); return typed && !chosen.includes(typed) ? [...chosen, typed] : [...chosen]; },
  };
}

/** Checkboxes of fixed choices, as one field (its errors under it by `name`). */
function choices(name, label, options, checked, testid) {
  const group = h('div', { class: 'ps-choices', role: 'group', 'data-field': name },
    options.map((o) => h('label', { class: 'sf-check' },
      h('input', { type: 'checkbox', name, value: o.value, checked: checked.includes(o.value), 'data-testid': testid, 'data-value': o.value, 'data-multi': '1' }),
      h('span', null, o.label))));
  return field(label, group);
}

function section(title, hint, ...children) {
  return h('section', { class: 'card ps-form-sec' },
    h('h3', { class: 'card-title' }, title),
    hint ? h('p', { class: 'muted sf-small ps-sec-hint' }, hint) : null,
    children);
}

function notAllowed(back) {
  return h('div', { class: 'state state-error', 'data-testid': 'pf-not-allowed' },
    h('p', null, t('ps.f.notAllowed')),
    h('a', { class: 'btn btn-ghost', href: back }, t('common.back')));
}

export async function policyFormPage({ id }) {
  const me = session.user() || {};
  const back = id ? policyHref(id) : '#/s/policies';
  let policy = null;
  let mode = 'new';
  let loaded;
  try {
    loaded = await Promise.all([
      id ? api('GET', `/policies/${encodeURIComponent(id)}`) : null,
      directory.departments().catch(() => []),
      policyTerms(),
      criteriaSuggestions().catch(() => ({ chains: [], areas: [] })),
    ]);
  } catch (err) {
    return page({ title: t('ps.f.edit'), back, body: errorState(err, () => navigate(location.hash, { replace: true })), wide: true, className: 'sf-page ps-formpage' });
  }
  const [p, depts, terms, suggest] = loaded;
  if (p) {
    policy = p;
    const may = (a) => (p.allowed || []).includes(a);
    mode = may('edit') ? 'edit' : may('amend') ? 'amend' : null;
    if (!mode) return page({ title: t('ps.f.edit'), back, body: notAllowed(back), wide: true, className: 'sf-page ps-formpage' });
  }
  if (!p && me.role !== 'admin' && me.role !== 'cadre') {
    return page({ title: t('ps.f.new'), back, body: notAllowed(back), wide: true, className: 'sf-page ps-formpage' });
  }
  const v = p || { benefit: { kind: 'amount' }, criteria: {}, department_id: me.role === 'cadre' ? me.department_id : '' };
  const c = v.criteria || {};
  const b = v.benefit || { kind: 'amount' };
  const fields = terms.filter((x) => x.kind === 'field' && (x.active || x.id === v.field_id));
  const quals = terms.filter((x) => x.kind === 'qualification' && (x.active || (c.qualification_ids || []).includes(x.id)));

  // A cadre drafts for their own department: shown, not chosen.
  const deptOptions = me.role === 'admin'
    ? deptSelectOptions(depts, { selected: v.department_id, placeholder: t('ps.f.pickDepartment') })
    : depts.filter((d) => d.id === v.department_id).map((d) => h('option', { value: d.id, selected: true }, d.name));
  const deptSel = selectInput('department_id', deptOptions, { testid: 'pf-department' });
  if (me.role !== 'admin') deptSel.disabled = true;

  let kind = b.kind || 'amount';
  const amountField = field(t('ps.f.amount'), textInput('benefit.amount_fen', { inputmode: 'decimal', testid: 'pf-amount', value: fenToYuanText(b.amount_fen) }), t('ps.f.amountHint'), { required: true });
  const rateField = field(t('ps.f.rate'), textInput('benefit.rate_percent', { inputmode: 'decimal', testid: 'pf-rate', value: b.rate_percent ?? '' }), null, { required: true });
  const showKind = () => {
    amountField.classList.toggle('hidden', kind !== 'amount');
    rateField.classList.toggle('hidden', kind !== 'rate');
  };
  showKind();
  const kindSeg = segmented({
    name: 'benefit.kind', label: t('ps.f.benefitKind'), value: kind,
    options: ['amount', 'rate', 'other'].map((k) => ({ value: k, label: t(`ps.benefit.${k}`), testid: `pf-kind-${k}` })),
    onChange: (k) => { kind = k; showKind(); },
  });

  const chains = valuesPicker({ name: 'criteria.industry_chains', label: t('ps.f.chains'), values: c.industry_chains, suggestions: suggest.chains, testid: 'pf-chains' });
  const areas = valuesPicker({ name: 'criteria.areas', label: t('ps.f.areas'), values: c.areas, suggestions: suggest.areas, testid: 'pf-areas' });
  const docs = uploader({ max: 9, initial: p ? p.documents || [] : [], testid: 'pf-docs' });

  const errorBox = formError('pf-error');
  const submitBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'pf-submit' },
    t(mode === 'amend' ? 'ps.f.saveAmend' : mode === 'edit' ? 'ps.f.save' : 'ps.f.saveDraft'));
  const cancelBtn = h('a', { class: 'btn btn-ghost', href: back, 'data-testid': 'pf-cancel' }, t('common.cancel'));

  const form = h('form', { class: 'ps-form', novalidate: true, 'data-testid': 'policy-form', 'data-mode': mode, onsubmit: (e) => { e.preventDefault(); save(); } },
    mode === 'amend' ? h('div', { class: 'notice notice-info ps-notice ps-amend-lead' }, h('span', null, t('ps.f.amendLead', { n: (p.version || 0) + 1 }))) : null,
    section(t('ps.f.sec.basic'), null,
      field(t('ps.f.title'), textInput('title', { max: TITLE_MAX, testid: 'pf-title', value: v.title }), null, { required: true }),
      field(t('ps.f.summary'), textArea('summary', { rows: 3, max: SUMMARY_MAX, testid: 'pf-summary', value: v.summary }), t('ps.f.summaryHint'), { required: true }),
      h('div', { class: 'ps-row' },
        field(t('ps.f.docNo'), textInput('document_number', { max: 100, testid: 'pf-docno', value: v.document_number, placeholder: t('ps.f.docNoHint') })),
        field(t('ps.f.department'), deptSel, null, { required: true }),
        field(t('ps.f.field'), selectInput('field_id', [h('option', { value: '' }, t('ps.f.pickField')),
          ...fields.map((x) => h('option', { value: x.id, selected: x.id === v.field_id }, x.name))], { testid: 'pf-field' }), null, { required: true })),
      h('label', { class: 'sf-check ps-free' },
        h('input', { type: 'checkbox', name: 'free_grant', checked: !!v.free_grant, 'data-testid': 'pf-free-grant' }),
        h('span', null, t('ps.f.freeGrant')))),
    section(t('ps.f.sec.benefit'), null,
      field(t('ps.f.benefitKind'), kindSeg),
      h('div', { class: 'ps-row' }, amountField, rateField),
      field(t('ps.f.benefitDesc'), textArea('benefit.description', { rows: 2, max: SUMMARY_MAX, testid: 'pf-benefit-desc', value: b.description, placeholder: t('ps.f.benefitDescHint') }), null, { required: true })),
    section(t('ps.f.sec.criteria'), t('ps.f.sec.criteriaHint'),
      h('div', { class: 'ps-row ps-row-2' }, chains.element, areas.element),
      h('div', { class: 'ps-row ps-row-2' },
        choices('criteria.scales', t('ps.f.scales'), SCALES.map((s) => ({ value: s, label: t(`ps.scale.${s}`) })), c.scales || [], 'pf-scale'),
        choices('criteria.sizes', t('ps.f.sizes'), SIZES.map((s) => ({ value: s, label: t(`ps.size.${s}`) })), c.sizes || [], 'pf-size')),
      quals.length ? choices('criteria.qualification_ids', t('ps.f.quals'), quals.map((q) => ({ value: q.id, label: q.name })), c.qualification_ids || [], 'pf-qual') : null,
      h('div', { class: 'ps-row ps-row-2' },
        field(t('ps.f.foundedAfter'), textInput('criteria.founded_after', { type: 'date', testid: 'pf-founded-after', value: c.founded_after })),
        field(t('ps.f.foundedBefore'), textInput('criteria.founded_before', { type: 'date', testid: 'pf-founded-before', value: c.founded_before }))),
      field(t('ps.f.other'), textArea('other_conditions', { rows: 2, max: SUMMARY_MAX, testid: 'pf-other', value: v.other_conditions }))),
    section(t('ps.f.sec.apply'), null,
      h('div', { class: 'ps-row' },
        field(t('ps.f.opens'), textInput('opens_on', { type: 'date', testid: 'pf-opens', value: v.opens_on })),
        field(t('ps.f.closes'), textInput('closes_on', { type: 'date', testid: 'pf-closes', value: v.closes_on })),
        field(t('ps.f.expires'), textInput('expires_on', { type: 'date', testid: 'pf-expires', value: v.expires_on }), t('ps.f.expiresHint'))),
      field(t('ps.f.how'), textArea('how_to_apply', { rows: 2, max: SUMMARY_MAX, testid: 'pf-how', value: v.how_to_apply })),
      field(t('ps.f.contact'), textInput('contact', { max: 200, testid: 'pf-contact', value: v.contact }))),
    section(t('ps.f.sec.text'), null,
      field(t('ps.f.fullText'), textArea('full_text', { rows: 8, max: FULL_TEXT_MAX, testid: 'pf-full-text', value: v.full_text })),
      field(t('ps.f.docs'), docs.element)),
    mode === 'amend' ? section(t('ps.f.sec.note'), null,
      field(t('ps.f.note'), textArea('note', { rows: 2, max: 500, testid: 'pf-note' }), t('ps.f.noteHint'), { required: true })) : null,
    errorBox,
    h('div', { class: 'ps-form-actions' }, cancelBtn, submitBtn));

  // A field's message goes once it is changed: what is left in red is what still needs doing.
  const settle = (e) => {
    const f = e.target && e.target.closest && e.target.closest('.field.invalid');
    if (!f) return;
    f.classList.remove('invalid');
    const msg = f.querySelector('.field-error');
    if (msg) msg.textContent = '';
    f.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
  };
  form.addEventListener('input', settle);
  form.addEventListener('change', settle);

  const val = (name) => { const el = form.querySelector(`[name="${name}"]`); return el ? el.value : ''; };
  const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((x) => x.value);
  const orNull = (s) => (String(s || '').trim() ? String(s).trim() : null);

  function body() {
    const local = {};
    const benefit = { kind, description: val('benefit.description') };
    if (kind === 'amount') {
      const fen = yuanToFen(val('benefit.amount_fen'));
      if (Number.isNaN(fen)) local['benefit.amount_fen'] = t('ps.f.badAmount');
      else benefit.amount_fen = fen;
    } else if (kind === 'rate') {
      const s = val('benefit.rate_percent').trim();
      if (s) {
        const r = Number(s);
        if (!Number.isFinite(r)) local['benefit.rate_percent'] = t('ps.f.badRate');
        else benefit.rate_percent = r;
      }
    }
    if (Object.keys(local).length) throw localError(local);
    const out = {
      title: val('title'),
      document_number: orNull(val('document_number')),
      department_id: orNull(val('department_id')) ?? undefined,
      field_id: val('field_id'),
      summary: val('summary'),
      full_text: orNull(val('full_text')),
      benefit,
      opens_on: orNull(val('opens_on')),
      closes_on: orNull(val('closes_on')),
      expires_on: orNull(val('expires_on')),
      how_to_apply: orNull(val('how_to_apply')),
      contact: orNull(val('contact')),
      criteria: {
        industry_chains: chains.values(),
        areas: areas.values(),
        scales: checked('criteria.scales'),
        sizes: checked('criteria.sizes'),
        qualification_ids: checked('criteria.qualification_ids'),
        founded_after: orNull(val('criteria.founded_after')),
        founded_before: orNull(val('criteria.founded_before')),
      },
      other_conditions: orNull(val('other_conditions')),
      free_grant: form.querySelector('[name="free_grant"]').checked,
      attachment_ids: docs.ids(),
    };
    if (mode === 'amend') out.note = val('note');
    return out;
  }

  let busy = false;
  async function save() {
    if (busy) return;
    clearFieldErrors(form);
    setFormError(errorBox, '');
    if (docs.busy()) { setFormError(errorBox, t('ps.f.uploading')); return; }
    busy = true;
    submitBusy(submitBtn, true, t('common.loading'));
    try {
      const sent = body();
      const saved = policy
        ? await api('PUT', `/policies/${encodeURIComponent(policy.id)}`, sent, { headers: { 'If-Match': `"${policy.revision}"` } })
        : await api('POST', '/policies', sent);
      toast(mode === 'amend' ? t('ps.f.amended', { n: saved.version }) : t('ps.f.saved'), 'success');
      navigate(policyHref(saved.id), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed' && err.fields) {
        localizeFields(localizePolicyFields(err));
        showFieldErrors(form, err);
        // Each message is under its field; beside the button, only that there are some.
        setFormError(errorBox, t('ps.f.fixFields', { n: Object.keys(err.fields).length }));
      } else if (isStale(err)) {
        setFormError(errorBox, t('ps.changed'));
      } else {
        setFormError(errorBox, errorMessage(err));
      }
    } finally {
      busy = false;
      submitBusy(submitBtn, false);
    }
  }

  const title = t(mode === 'amend' ? 'ps.f.amend' : mode === 'edit' ? 'ps.f.edit' : 'ps.f.new');
  return page({ title, back, body: form, wide: true, className: 'sf-page ps-formpage' });
}
