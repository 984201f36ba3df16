// enterprise/policy-profile.js — 企业信息 (#/e/profile): what policy matching reads of the
// enterprise. The name, industry chain and area are the district's (shown); the scale, size,
// qualifications, employees, revenue band and founding day are its managers' to state (a form)
// and everyone else's to read. A change is 待核实 until staff confirm it; only what changed is
// sent. Qualifications: none ticked is "not stated" (null), 以上都没有 is "none held" ([]).
//
// Test ids (stable, for tests/e2e):
//   traits-name traits-chain traits-area traits-verified (data-verified) traits-unverified-note
//   traits-readonly traits-form traits-scale-above traits-scale-below traits-scale-unset
//   traits-size traits-qual (value: the term's id) traits-qual-none traits-employees
//   traits-revenue traits-founded traits-save traits-error

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { refresh } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { cell, cells, segmented } from '../core/controls.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, input, submitBusy, formError, setFormError } from '../core/forms.js';
import { fmtDateTime } from '../core/format.js';
import { policyTerms } from './policy-shared.js';

const SIZES = ['large', 'medium', 'small', 'micro'];
const BANDS = ['below1m', 'upto5m', 'upto20m', 'upto100m', 'upto400m', 'over400m'];

function select(name, testid, options, value) {
  return h('select', { class: 'select', name, 'data-testid': testid },
    h('option', { value: '' }, t('ep.prof.unset')),
    options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)));
}

function verifiedTag(tr) {
  if (!tr.stated) return h('span', { class: 'tag tag-muted', 'data-testid': 'traits-verified', 'data-verified': 'none' }, t('ep.prof.notStated'));
  return tr.verified
    ? h('span', { class: 'tag tag-closed-ok', 'data-testid': 'traits-verified', 'data-verified': 'true' }, t('ep.prof.verified'))
    : h('span', { class: 'tag ep-unverified', 'data-testid': 'traits-verified', 'data-verified': 'false' }, t('ep.prof.unverified'));
}

/** The traits as words, for a reader who may not change them. */
function readOnly(tr, terms) {
  const quals = tr.qualification_ids;
  const qualText = quals === null || quals === undefined ? t('ep.prof.unset')
    : quals.length ? quals.map((id) => terms.name(id)).join(t('ep.listSep')) : t('common.none');
  const or = (v) => v || t('ep.prof.unset');
  return [
    cells(t('ep.prof.traits'),
      cell({ label: t('ep.prof.scale'), value: or(tr.scale && t(`ep.scale.${tr.scale}`)) }),
      cell({ label: t('ep.prof.size'), value: or(tr.size && t(`ep.size.${tr.size}`)) }),
      cell({ label: t('ep.prof.quals'), value: qualText }),
      cell({ label: t('ep.prof.employees'), value: tr.employees === null || tr.employees === undefined ? t('ep.prof.unset') : String(tr.employees) }),
      cell({ label: t('ep.prof.revenue'), value: or(tr.revenue_band && t(`ep.band.${tr.revenue_band}`)) }),
      cell({ label: t('ep.prof.founded'), value: or(tr.founded_on) })),
    h('p', { class: 'form-intro muted', 'data-testid': 'traits-readonly' }, t('ep.prof.readOnly')),
  ];
}

function traitsForm(tr, terms, enterpriseId) {
  let scale = tr.scale || '';
  const scaleSeg = segmented({
    name: 'scale', label: t('ep.prof.scale'), value: scale,
    options: [
      { value: 'above', label: t('ep.prof.scaleAbove'), testid: 'traits-scale-above' },
      { value: 'below', label: t('ep.prof.scaleBelow'), testid: 'traits-scale-below' },
      { value: '', label: t('ep.prof.unset'), testid: 'traits-scale-unset' },
    ],
    onChange: (v) => { scale = v; },
  });
  const size = select('size', 'traits-size', SIZES.map((s) => ({ value: s, label: t(`ep.size.${s}`) })), tr.size || '');
  const revenue = select('revenue_band', 'traits-revenue', BANDS.map((b) => ({ value: b, label: t(`ep.band.${b}`) })), tr.revenue_band || '');
  const employees = input({ name: 'employees', type: 'number', inputmode: 'numeric', min: '0', step: '1', placeholder: t('ep.prof.employeesPh'), 'data-testid': 'traits-employees' });
  employees.value = tr.employees === null || tr.employees === undefined ? '' : String(tr.employees);
  const founded = input({ name: 'founded_on', type: 'date', 'data-testid': 'traits-founded' });
  founded.value = tr.founded_on || '';

  // Qualifications: the active terms, and any retired one the enterprise still holds.
  const held = tr.qualification_ids;
  const offered = terms.quals.filter((q) => q.active || (held || []).includes(q.id));
  const boxes = offered.map((q) => h('input', { type: 'checkbox', name: 'qualification', value: q.id, checked: (held || []).includes(q.id), 'data-testid': 'traits-qual' }));
  const none = h('input', { type: 'checkbox', name: 'qualification_none', checked: Array.isArray(held) && !held.length, 'data-testid': 'traits-qual-none' });
  const syncNone = () => { if (boxes.some((b) => b.checked)) none.checked = false; };
  boxes.forEach((b) => b.addEventListener('change', syncNone));
  none.addEventListener('change', () => { if (none.checked) boxes.forEach((b) => { b.checked = false; }); });
  const quals = h('div', { class: 'ep-quals', role: 'group', 'data-field': 'qualification_ids' },
    offered.map((q, i) => h('label', { class: 'ep-check' }, boxes[i], h('span', null, q.name))),
    h('label', { class: 'ep-check ep-check-none' }, none, h('span', null, t('ep.prof.qualsNone'))));

  const box = formError('traits-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'traits-save' }, t('ep.prof.save'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'traits-form' },
    h('div', { class: 'form-cells' },
      h('h2', { class: 'cells-title' }, t('ep.prof.traits')),
      field(t('ep.prof.scale'), scaleSeg, null, { cls: 'field-stack' }),
      field(t('ep.prof.size'), size),
      field(t('ep.prof.quals'), quals, t('ep.prof.qualsHint'), { cls: 'field-stack' }),
      field(t('ep.prof.employees'), employees),
      field(t('ep.prof.revenue'), revenue),
      field(t('ep.prof.founded'), founded)),
    box,
    h('div', { class: 'form-actions' }, submit));

  const qualValue = () => {
    const ids = boxes.filter((b) => b.checked).map((b) => b.value);
    if (ids.length) return ids;
    return none.checked ? [] : null;
  };
  const same = (x, y) => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    const emp = employees.value.trim();
    const empN = emp === '' ? null : Number(emp);
    const le = localErrors({
      employees: empN !== null && (!Number.isInteger(empN) || empN < 0 || empN > 10_000_000) && t('ep.prof.employeesBad'),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    const now = {
      scale: scale || null,
      size: size.value || null,
      qualification_ids: qualValue(),
      employees: empN,
      revenue_band: revenue.value || null,
      founded_on: founded.value || null,
    };
    // Only what changed: each field sent replaces the stored one and marks the whole 待核实.
    const heldSorted = held ? [...held].sort() : held;
    const patch = {};
    for (const [k, v] of Object.entries(now)) {
      const before = k === 'qualification_ids' ? heldSorted : tr[k];
      const after = k === 'qualification_ids' && v ? [...v].sort() : v;
      if (!same(before, after)) patch[k] = v;
    }
    if (!Object.keys(patch).length) { toast(t('ep.prof.nothing')); return; }
    sending = true;
    submitBusy(submit, true, t('new.submitting'));
    try {
      await api('PATCH', `/enterprises/${encodeURIComponent(enterpriseId)}/traits`, patch);
      toast(t('ep.prof.saved'), 'success');
      refresh();
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (err.status === 422 && err.fields) showFieldErrors(form, err);
      setFormError(box, errorMessage(err));
    }
  });
  return form;
}

export async function profilePage() {
  const me = await api('GET', '/me');
  session.setUser(me);
  const eid = encodeURIComponent(me.enterprise_id || '');
  const [ent, tr, terms] = await Promise.all([
    api('GET', `/enterprises/${eid}`),
    api('GET', `/enterprises/${eid}/traits`),
    policyTerms(),
  ]);
  const body = h('div', { class: 'me ep-profile' },
    h('p', { class: 'form-intro muted' }, t('ep.prof.intro')),
    cells(t('ep.prof.basic'),
      cell({ label: t('ep.prof.name'), value: h('span', { 'data-testid': 'traits-name' }, ent.name) }),
      cell({ label: t('ep.prof.creditCode'), value: h('span', { class: 'mono' }, ent.credit_code || '') }),
      cell({ label: t('ep.prof.chain'), value: h('span', { 'data-testid': 'traits-chain' }, ent.industry_chain || t('ep.prof.unset')) }),
      cell({ label: t('ep.prof.area'), value: h('span', { 'data-testid': 'traits-area' }, ent.area || t('ep.prof.unset')) })),
    h('p', { class: 'form-intro muted ep-small' }, t('ep.prof.basicNote')),
    h('div', { class: ['notice', tr.stated && !tr.verified ? 'notice-warn' : 'ep-notice-plain'] },
      verifiedTag(tr),
      h('span', { 'data-testid': tr.stated && !tr.verified ? 'traits-unverified-note' : null },
        tr.stated && !tr.verified ? t('ep.prof.unverifiedNote') : tr.updated_at ? t('ep.prof.updatedAt', { time: fmtDateTime(tr.updated_at) }) : '')),
    me.enterprise_manager ? traitsForm(tr, terms, me.enterprise_id) : readOnly(tr, terms));
  return page({ title: t('ep.prof.title'), back: '#/e/me', body });
}
