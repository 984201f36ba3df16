// admin/departments.js — 责任单位 (#/a/departments): the department tree with parents and heads;
// create and edit.
//
// Test ids (stable, for tests/e2e):
//   departments-table departments-row (data-id) dept-create dept-edit dept-name
//   dept-parent dept-head

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { toast } from '../core/feedback.js';
import { loading, empty, errorState } from '../core/states.js';
import { field } from '../core/forms.js';
import { invalidate, directory, fetchAll, nameMap, deptTree, deptSelectOptions } from '../desk/directory.js';
import { checkFields } from '../desk/validation.js';
import { textInput, selectInput, formDialog } from '../desk/form-dialog.js';
import { head, table, td, btn, diff, adminPage } from './frame.js';

export async function departmentsPage() {
  const box = h('div', null, loading());
  let cadres = [];
  async function load() {
    invalidate('departments');
    box.replaceChildren(loading());
    try {
      const [depts, cs] = await Promise.all([directory.departments(), fetchAll('/users', { role: 'cadre' }).catch(() => [])]);
      cadres = cs;
      const users = nameMap(cs);
      const dn = nameMap(depts);
      const rows = deptTree(depts);
      box.replaceChildren(rows.length ? table('departments-table', [t('a.dept.name'), t('a.dept.parent'), t('a.dept.head'), { label: t('a.common.actions'), cls: 'sa-actions' }],
        h('tbody', null, rows.map(({ dept, depth }) => h('tr', { 'data-testid': 'departments-row', 'data-id': dept.id },
          td(dept.name, ['sa-name', depth && `sa-indent-${Math.min(depth, 3)}`]),
          td(dept.parent_id ? dn.get(dept.parent_id) || '—' : h('span', { class: 'muted' }, '—')),
          td(dept.head_user_id ? users.get(dept.head_user_id) || '—' : h('span', { class: 'muted' }, t('a.dept.noHead'))),
          td(btn(t('a.common.edit'), () => edit(dept, depts), { testid: 'dept-edit' }), 'sa-actions')))))
        : empty(t('a.dept.empty')));
    } catch (err) {
      box.replaceChildren(errorState(err, load));
    }
  }
  async function edit(dept, depts) {
    if (!depts) depts = await directory.departments();
    const name = textInput('name', { max: 100, testid: 'dept-name', value: dept ? dept.name : '' });
    const parent = selectInput('parent_id', deptSelectOptions(depts, { placeholder: t('a.dept.noParent'), selected: dept ? dept.parent_id : '', excludeId: dept ? dept.id : null }), { testid: 'dept-parent' });
    const headSel = selectInput('head_user_id', [h('option', { value: '' }, t('a.dept.noHead')),
      ...cadres.filter((u) => !u.disabled || (dept && u.id === dept.head_user_id)).map((u) => h('option', { value: u.id, selected: dept && u.id === dept.head_user_id },
        `${u.name}（${nameMap(depts).get(u.department_id) || u.username}）`))], { testid: 'dept-head' });
    const r = await formDialog({
      title: dept ? t('a.dept.edit') : t('a.dept.create'), okText: t('common.save'), action: dept ? 'dept-edit' : 'dept-create', duplicateField: 'name',
      fields: [
        field(t('a.dept.name'), name, null, { required: true }),
        field(t('a.dept.parent'), parent),
        field(t('a.dept.head'), headSel, t('a.dept.hint')),
      ],
      submit: async (form, v) => {
        checkFields(v, { name: { required: true, max: 100 } });
        const body = diff(dept, { name: v.name.trim(), parent_id: v.parent_id || null, head_user_id: v.head_user_id || null }, ['parent_id', 'head_user_id']);
        if (dept && !Object.keys(body).length) return true;
        return dept ? api('PATCH', `/departments/${encodeURIComponent(dept.id)}`, body) : api('POST', '/departments', body);
      },
    });
    if (r) { toast(dept ? t('a.common.saved') : t('a.common.created'), 'success'); load(); }
  }
  load();
  return adminPage(t('a.dept.title'), [
    head(t('a.dept.title'), btn(t('a.dept.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'dept-create', ic: 'plus' })),
    box]);
}
