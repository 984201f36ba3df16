// admin/categories.js — 诉求类别 (#/a/categories): the categories with their default department and
// deadline in working days; create, edit, disable, enable.
//
// Test ids (stable, for tests/e2e):
//   categories-table categories-row (data-id) cat-create cat-edit cat-disable
//   cat-enable cat-name cat-department cat-deadline-days

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { loading, empty, errorState } from '../core/states.js';
import { field } from '../core/forms.js';
import { invalidate, directory, nameMap, deptSelectOptions } from '../desk/directory.js';
import { checkFields } from '../desk/validation.js';
import { formDialog, textInput, selectInput } from '../desk/form-dialog.js';
import { table, td, btn, diff, adminPage, head } from './frame.js';

export async function categoriesPage() {
  const box = h('div', null, loading());
  async function load() {
    invalidate('categories');
    box.replaceChildren(loading());
    try {
      const [cats, depts] = await Promise.all([directory.categories(), directory.departments()]);
      const dn = nameMap(depts);
      const sorted = cats.slice().sort((a, b) => (a.disabled - b.disabled) || a.name.localeCompare(b.name, 'zh'));
      box.replaceChildren(sorted.length ? table('categories-table', [t('a.cat.name'), t('a.cat.department'), { label: t('a.cat.daysShort'), cls: 'num' }, t('a.common.status'), { label: t('a.common.actions'), cls: 'sa-actions' }],
        h('tbody', null, sorted.map((c) => h('tr', { 'data-testid': 'categories-row', 'data-id': c.id, class: c.disabled && 'is-disabled' },
          td(c.name, 'sa-name'),
          td(c.default_department_id ? dn.get(c.default_department_id) || '—' : h('span', { class: 'muted' }, t('a.cat.noDepartment'))),
          td(t('a.cat.daysUnit', { n: c.deadline_days }), 'num'),
          td(h('span', { class: ['tag', c.disabled ? 'tag-off' : 'tag-on'] }, c.disabled ? t('a.common.disabled') : t('a.common.active'))),
          td(h('div', { class: 'btn-row' },
            btn(t('a.common.edit'), () => edit(c, depts), { testid: 'cat-edit' }),
            c.disabled ? btn(t('a.common.enable'), () => toggle(c, false), { testid: 'cat-enable' })
              : btn(t('a.common.disable'), () => toggle(c, true), { testid: 'cat-disable', cls: 'btn-ghost btn-small btn-danger-text' })), 'sa-actions')))))
        : empty(t('a.cat.empty')));
    } catch (err) { box.replaceChildren(errorState(err, load)); }
  }
  async function toggle(c, disabled) {
    if (disabled && !(await confirmDialog(t('a.cat.disableConfirm', { name: c.name }), { danger: true, okText: t('a.common.disable') }))) return;
    try {
      await api('PATCH', `/categories/${encodeURIComponent(c.id)}`, { disabled });
      toast(t('a.common.saved'), 'success');
      load();
    } catch (err) { toast(errorMessage(err), 'error'); }
  }
  async function edit(c, depts) {
    if (!depts) depts = await directory.departments();
    const r = await formDialog({
      title: c ? t('a.cat.edit') : t('a.cat.create'), okText: t('common.save'), action: c ? 'cat-edit' : 'cat-create', duplicateField: 'name',
      fields: [
        field(t('a.cat.name'), textInput('name', { max: 100, testid: 'cat-name', value: c ? c.name : '' }), null, { required: true }),
        field(t('a.cat.department'), selectInput('default_department_id', deptSelectOptions(depts, { placeholder: t('a.cat.noDepartment'), selected: c ? c.default_department_id : '' }), { testid: 'cat-department' })),
        field(t('a.cat.days'), textInput('deadline_days', { type: 'number', testid: 'cat-deadline-days', value: c ? String(c.deadline_days) : '5', inputmode: 'numeric', min: '1', maxNum: '365' }), t('a.cat.daysHint'), { required: true }),
      ],
      submit: async (form, v) => {
        checkFields(v, { name: { required: true, max: 100 }, deadline_days: { required: true, int: [1, 365] } });
        const body = diff(c, { name: v.name.trim(), default_department_id: v.default_department_id || null, deadline_days: Number(v.deadline_days) }, ['default_department_id']);
        if (!c) return api('POST', '/categories', body);
        if (!Object.keys(body).length) return true;
        return api('PATCH', `/categories/${encodeURIComponent(c.id)}`, body);
      },
    });
    if (r) { toast(c ? t('a.common.saved') : t('a.common.created'), 'success'); load(); }
  }
  load();
  return adminPage(t('a.cat.title'), [
    head(t('a.cat.title'), btn(t('a.cat.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'cat-create', ic: 'plus' })),
    box]);
}
