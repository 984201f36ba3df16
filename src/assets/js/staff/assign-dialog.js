// staff/assign-dialog.js — 派单 / 重新派单: the lead department, the cadre (the department's
// active cadres), co-departments, priority and the deadline with its preview in working days;
// above them the routing suggestions (routing-hint.js): a confident first department is
// pre-filled on a first assignment (marked 已按建议预填), and a chip picks its department.
//   assignDialog({id, ticket, depts, category, routing, ifMatch}) → the answer, null
//   (cancelled) or {stale: true} (someone else changed the ticket first).
//
// Test ids (stable, for tests/e2e):
//   assign-department assign-cadre assign-co-departments assign-co
//   assign-priority-normal assign-priority-urgent assign-due-mode-default assign-due-mode-date
//   assign-due-date assign-deadline-preview assign-submit (its OK button) assign-prefilled
//   and those of routing-hint.js

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { field } from '../core/forms.js';
import { segmented } from '../core/controls.js';
import { fmtDate } from '../core/format.js';
import { directory, deptTree, deptSelectOptions } from '../desk/directory.js';
import { localError } from '../desk/validation.js';
import { formDialog, textInput, selectInput } from '../desk/form-dialog.js';
import { todayCN } from '../desk/dates.js';
import { StaleError, isConflict } from './conflicts.js';
import { routingHint } from './routing-hint.js';

export async function assignDialog({ id, ticket: tk, depts, category, routing, ifMatch }) {
  // A confident suggestion is pre-filled on a first assignment only: a re-assignment starts
  // from the department the ticket has.
  const suggested = routing && routing.departments[0];
  const prefill = !tk.department_id && suggested && suggested.prefill && depts.some((d) => d.id === suggested.id) ? suggested.id : null;
  const deptSel = selectInput('department_id', deptSelectOptions(depts, { placeholder: t('s.d.assign.deptPick'),
    selected: tk.department_id || prefill || (category && category.default_department_id) || '' }), { testid: 'assign-department' });
  const prefilled = h('span', { class: ['sf-prefilled', !prefill && 'hidden'], 'data-testid': 'assign-prefilled' }, t('s.routing.prefilled'));
  const hint = routingHint(routing, { categoryId: category && category.id, onDepartment: (s) => {
    if (!depts.some((d) => d.id === s.id)) return;
    deptSel.value = s.id;
    deptSel.dispatchEvent(new Event('change'));
  } });
  const cadreSel = selectInput('assignee_id', [h('option', { value: '' }, t('s.d.assign.cadreNone'))], { testid: 'assign-cadre' });
  const cadreHint = h('span', { class: 'muted' }, '');
  const coBox = h('div', { class: 'sf-checks', 'data-field': 'co_department_ids', 'data-testid': 'assign-co-departments' },
    deptTree(depts).map(({ dept, depth }) => h('label', { class: ['sf-check', depth && 'sf-indent'] },
      h('input', { type: 'checkbox', name: 'co_department_ids', value: dept.id, 'data-multi': '1', 'data-testid': 'assign-co',
        checked: (tk.co_department_ids || []).includes(dept.id) }),
      h('span', null, dept.name))));
  const preview = h('div', { class: 'sf-preview', 'data-testid': 'assign-deadline-preview', 'aria-live': 'polite' });
  const dateInput = textInput('due_date', { type: 'date', testid: 'assign-due-date', min: todayCN() });
  const dateField = field(t('s.d.assign.dueDateLabel'), dateInput, null, { cls: 'hidden' });
  let priority = tk.priority || 'normal';
  let dueMode = 'default';
  let seq = 0;

  async function loadCadres(form, keep) {
    const deptId = deptSel.value;
    const my = ++seq;
    cadreSel.replaceChildren(h('option', { value: '' }, t('s.d.assign.cadreNone')));
    cadreHint.textContent = '';
    // The lead department cannot be a co-department too.
    coBox.querySelectorAll('input').forEach((c) => {
      const lead = c.value === deptId;
      c.disabled = lead;
      if (lead) c.checked = false;
      c.closest('label').classList.toggle('is-disabled', lead);
    });
    if (!deptId) return;
    cadreSel.disabled = true;
    cadreHint.textContent = t('s.d.assign.cadreLoading');
    try {
      const list = await directory.cadres(deptId);
      if (my !== seq) return;
      for (const u of list) cadreSel.appendChild(h('option', { value: u.id, selected: keep && u.id === keep }, u.phone ? `${u.name}（${u.phone}）` : u.name));
      cadreHint.textContent = list.length ? '' : t('s.d.assign.cadreEmpty');
    } catch (err) {
      if (my === seq) cadreHint.textContent = t('s.d.assign.cadreFailed');
    } finally {
      if (my === seq) cadreSel.disabled = false;
    }
  }

  let pseq = 0;
  async function updatePreview() {
    const my = ++pseq;
    preview.classList.remove('is-warn');
    if (priority === 'urgent') { preview.textContent = t('s.d.assign.previewUrgent'); return; }
    if (dueMode === 'date') {
      preview.textContent = dateInput.value ? t('s.d.assign.previewDate', { date: dateInput.value }) : '';
      return;
    }
    const days = category && category.deadline_days;
    if (!days) { preview.textContent = ''; return; }
    preview.textContent = t('s.d.assign.previewLoading');
    try {
      const r = await api('GET', '/calendar/add', null, { query: { start: new Date().toISOString(), days } });
      if (my !== pseq) return;
      const parts = [t('s.d.assign.preview', { date: r.date || fmtDate(r.deadline), days })];
      if (r.unknown_years && r.unknown_years.length) { parts.push(`（${t('s.d.assign.unknownYears', { years: r.unknown_years.join('、') })}）`); preview.classList.add('is-warn'); }
      preview.textContent = parts.join('');
    } catch {
      if (my === pseq) preview.textContent = t('s.d.assign.previewFailed');
    }
  }

  const prioritySeg = segmented({ name: 'priority', value: priority, label: t('s.d.assign.priority'),
    options: [{ value: 'normal', label: t('priority.normal'), testid: 'assign-priority-normal' }, { value: 'urgent', label: t('priority.urgent'), testid: 'assign-priority-urgent' }],
    onChange: (v) => { priority = v; dueModeField.classList.toggle('hidden', v === 'urgent'); dateField.classList.toggle('hidden', v === 'urgent' || dueMode !== 'date'); updatePreview(); } });
  const dueModeSeg = segmented({ name: 'due_mode', value: 'default', label: t('s.d.assign.dueMode'),
    options: [{ value: 'default', label: category ? t('s.d.assign.dueDefaultDays', { days: category.deadline_days }) : t('s.d.assign.dueDefault'), testid: 'assign-due-mode-default' },
      { value: 'date', label: t('s.d.assign.dueDate'), testid: 'assign-due-mode-date' }],
    onChange: (v) => { dueMode = v; dateField.classList.toggle('hidden', v !== 'date'); updatePreview(); } });
  const dueModeField = field(t('s.d.assign.dueMode'), dueModeSeg, null, { cls: priority === 'urgent' ? 'hidden' : null });
  if (priority === 'urgent') dateField.classList.add('hidden');
  dateInput.addEventListener('change', updatePreview);
  const cadreField = field(t('s.d.assign.cadre'), cadreSel, cadreHint);

  let staleSeen = false;
  const res = await formDialog({
    title: tk.department_id ? t('s.a.reassign') : t('s.d.assign.title'), okText: tk.department_id ? t('s.a.reassign') : t('s.a.assign'),
    wide: true, action: 'assign',
    fields: [
      category ? h('p', { class: 'sf-dialog-lead' }, `${t('s.f.category')}：${category.name}`) : null,
      hint,
      field(t('s.d.assign.dept'), deptSel, prefilled, { required: true }),
      cadreField,
      field(t('s.d.assign.co'), coBox, t('s.d.assign.coHint')),
      field(t('s.d.assign.priority'), prioritySeg),
      dueModeField,
      dateField,
      preview,
    ],
    onOpen: (form) => {
      form.querySelector('[data-testid="dialog-ok"]').setAttribute('data-testid', 'assign-submit');
      deptSel.addEventListener('change', () => {
        prefilled.classList.toggle('hidden', !prefill || deptSel.value !== prefill);
        loadCadres(form);
      });
      loadCadres(form, tk.assignee_id);
      updatePreview();
    },
    submit: async (form, v) => {
      const errs = {};
      if (!v.department_id) errs.department_id = t('s.pickOne');
      const co = (v.co_department_ids || []).filter((x) => x !== v.department_id);
      if (co.length > 10) errs.co_department_ids = t('s.d.assign.coMax');
      let dueAt;
      if (priority !== 'urgent' && dueMode === 'date') {
        if (!v.due_date) errs.due_date = t('s.required');
        else if (v.due_date < todayCN()) errs.due_date = t('s.d.assign.dueDatePast');
        else dueAt = `${v.due_date}T23:59:59.999+08:00`;
      }
      if (Object.keys(errs).length) throw localError(errs);
      const payload = { department_id: v.department_id, co_department_ids: co, priority };
      if (v.assignee_id) payload.assignee_id = v.assignee_id;
      if (dueAt) payload.due_at = dueAt;
      try {
        return await api('POST', `/tickets/${encodeURIComponent(id)}/assign`, payload, ifMatch());
      } catch (err) {
        if (err instanceof StaleError || isConflict(err)) { staleSeen = true; throw new StaleError(); }
        if (err instanceof ApiError && err.fields && err.fields.due_at) err.fields.due_date = err.fields.due_at;
        throw err;
      }
    },
  });
  return staleSeen ? { stale: true } : res;
}
