// admin/users.js — 用户账号 (#/a/users?role=&status=&q=): accounts by role and status, searched;
// create, edit (password, role, department or enterprise, notification switches), disable, enable.
//
// Test ids (stable, for tests/e2e):
//   users-table users-row (data-id) user-create user-edit user-disable user-enable
//   user-role-filter user-status-filter user-search user-username user-password user-name
//   user-phone user-email user-role user-department user-enterprise-search user-enterprise
//   user-notify-email user-notify-sms

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { field } from '../core/forms.js';
import { directory, nameMap, invalidate, deptSelectOptions } from '../desk/directory.js';
import { checkFields, localError } from '../desk/validation.js';
import { selectInput, textInput, checkbox, formDialog } from '../desk/form-dialog.js';
import { setHashQuery, pagedList } from '../desk/paged-list.js';
import { btn, td, table, diff, adminPage, head } from './frame.js';

const ROLES = ['cadre', 'dispatcher', 'admin', 'enterprise'];

/** A searchable enterprise picker: a search box that fills a select. */
function enterprisePicker(selectedId) {
  const sel = h('select', { name: 'enterprise_id', class: 'select', 'data-testid': 'user-enterprise' }, h('option', { value: '' }, t('a.user.enterprisePick')));
  const search = h('input', { type: 'search', class: 'input', placeholder: t('a.user.enterpriseSearch'), 'data-testid': 'user-enterprise-search', maxlength: '100', 'aria-label': t('a.user.enterpriseSearch') });
  let seq = 0;
  let timer = null;
  const fill = async (q) => {
    const my = ++seq;
    try {
      const r = await api('GET', '/enterprises', null, { query: { q: q || undefined, limit: 30 } });
      if (my !== seq) return;
      const keep = sel.value || selectedId;
      const items = r.items || [];
      if (keep && !items.some((e) => e.id === keep)) {
        const cur = await directory.enterprise(keep).catch(() => null);
        if (cur) items.unshift(cur);
      }
      sel.replaceChildren(h('option', { value: '' }, t('a.user.enterprisePick')),
        ...items.map((e) => h('option', { value: e.id, selected: e.id === keep }, `${e.name}（${e.credit_code}）`)));
    } catch { /* keep the old options */ }
  };
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => fill(search.value.trim()), 250); });
  fill('');
  return h('div', { class: 'sa-picker', 'data-field': 'enterprise_id' }, search, sel);
}

export async function usersPage(params, query) {
  let role = ROLES.includes(query.role) ? query.role : '';
  let status = ['active', 'disabled', 'all'].includes(query.status) ? query.status : 'active';
  let q = query.q || '';
  const depts = await directory.departments().catch(() => []);
  const dn = nameMap(depts);
  const roleSel = h('select', { class: 'select', 'data-testid': 'user-role-filter', 'aria-label': t('a.user.role'), onchange: (e) => { role = e.target.value; go(); } },
    h('option', { value: '' }, t('a.user.allRoles')), ROLES.map((r) => h('option', { value: r, selected: r === role }, t(`role.${r}`))));
  const statusSel = h('select', { class: 'select', 'data-testid': 'user-status-filter', 'aria-label': t('a.common.status'), onchange: (e) => { status = e.target.value; go(); } },
    [['active', 'a.user.statusActive'], ['disabled', 'a.user.statusDisabled'], ['all', 'a.user.statusAll']].map(([v, k]) => h('option', { value: v, selected: v === status }, t(k))));
  const searchIn = h('input', { type: 'search', class: 'input', value: q, placeholder: `${t('a.user.name')} / ${t('a.user.username')}`, 'data-testid': 'user-search', maxlength: '100', 'aria-label': t('a.common.search') });
  const toolbar = h('form', { class: 'toolbar sa-toolbar', onsubmit: (e) => { e.preventDefault(); q = searchIn.value.trim(); go(); } },
    roleSel, statusSel, searchIn, h('button', { type: 'submit', class: 'btn btn-ghost btn-small' }, t('a.common.search')));
  const box = h('div');

  function row(u) {
    const org = u.department_id ? dn.get(u.department_id) || '—' : '';
    const orgCell = td(org);
    if (u.enterprise_id) directory.enterprise(u.enterprise_id).then((e) => { if (e) orgCell.textContent = e.name; }, () => {});
    return h('tr', { 'data-testid': 'users-row', 'data-id': u.id, class: u.disabled && 'is-disabled' },
      td(u.name, 'sa-name'), td(u.username, 'mono'), td(t(`role.${u.role}`), 'sa-nowrap'), orgCell, td(u.phone || '', 'mono'),
      td(h('span', { class: ['tag', u.disabled ? 'tag-off' : 'tag-on'] }, u.disabled ? t('a.common.disabled') : t('a.common.active'))),
      td(h('div', { class: 'btn-row' },
        btn(t('a.common.edit'), () => edit(u), { testid: 'user-edit' }),
        u.disabled ? btn(t('a.common.enable'), () => setDisabled(u, false), { testid: 'user-enable' })
          : u.id !== session.user().id ? btn(t('a.common.disable'), () => setDisabled(u, true), { testid: 'user-disable', cls: 'btn-ghost btn-small btn-danger-text' }) : null), 'sa-actions'));
  }

  let list = null;
  function go() {
    setHashQuery({ role, status: status === 'active' ? '' : status, q });
    list = pagedList({
      testid: 'users-tbody', listTag: 'tbody', listClass: 'sa-tbody', emptyText: t('a.user.empty'),
      wrap: (tbody) => table('users-table', [t('a.user.name'), t('a.user.username'), t('a.user.role'), t('a.user.org'), t('a.user.phone'), t('a.common.status'), { label: t('a.common.actions'), cls: 'sa-actions' }], tbody),
      load: (cursor) => api('GET', '/users', null, { query: { role: role || undefined, disabled: status === 'all' ? undefined : status === 'disabled', q: q || undefined, limit: 50, cursor } }),
      item: row,
    });
    box.replaceChildren(list.element);
  }

  async function setDisabled(u, disabled) {
    if (disabled && !(await confirmDialog(t('a.user.disableConfirm', { name: u.name }), { danger: true, okText: t('a.common.disable') }))) return;
    try {
      await api('PATCH', `/users/${encodeURIComponent(u.id)}`, { disabled });
      invalidate('cadres:'); invalidate(`user:${u.id}`);
      toast(disabled ? t('a.user.disabledOk') : t('a.user.enabledOk'), 'success');
      list.reload();
    } catch (err) { toast(errorMessage(err), 'error'); }
  }

  async function edit(u) {
    const isNew = !u;
    let curRole = u ? u.role : (role || 'cadre');
    const roleSel2 = selectInput('role', ROLES.map((r) => h('option', { value: r, selected: r === curRole }, t(`role.${r}`))), { testid: 'user-role' });
    const deptField = field(t('a.user.department'), selectInput('department_id', deptSelectOptions(depts, { placeholder: t('s.pickOne'), selected: u ? u.department_id : '' }), { testid: 'user-department' }), null, { required: true });
    const entField = field(t('a.user.enterprise'), enterprisePicker(u ? u.enterprise_id : null), null, { required: true });
    const sync = () => { deptField.classList.toggle('hidden', curRole !== 'cadre'); entField.classList.toggle('hidden', curRole !== 'enterprise'); };
    roleSel2.addEventListener('change', () => { curRole = roleSel2.value; sync(); });
    sync();
    const fields = [
      isNew ? field(t('a.user.username'), textInput('username', { max: 64, testid: 'user-username', autocomplete: 'off' }), t('a.user.usernameHint'), { required: true })
        : h('p', { class: 'sf-dialog-lead' }, `${t('a.user.username')}：${u.username}`),
      field(isNew ? t('a.user.password') : t('a.user.newPassword'), textInput('password', { type: 'password', max: 128, testid: 'user-password', autocomplete: 'new-password' }),
        isNew ? t('a.user.passwordHint') : t('a.user.newPasswordHint'), { required: isNew }),
      field(t('a.user.name'), textInput('name', { max: 100, testid: 'user-name', value: u ? u.name : '' }), null, { required: true }),
      field(t('a.user.role'), roleSel2, null, { required: true }),
      deptField,
      entField,
      field(t('a.user.phone'), textInput('phone', { type: 'tel', testid: 'user-phone', value: u ? u.phone || '' : '', inputmode: 'tel' })),
      field(t('a.user.email'), textInput('email', { type: 'email', testid: 'user-email', value: u ? u.email || '' : '' })),
      !isNew ? h('div', { class: 'field' }, checkbox('notify_email', t('a.user.notifyEmail'), { checked: u.notify_email, testid: 'user-notify-email' }),
        checkbox('notify_sms', t('a.user.notifySms'), { checked: u.notify_sms, testid: 'user-notify-sms' })) : null,
      // Who manages an enterprise's account (invites colleagues, decides requests to join):
      // named here when the one there was has left.
      !isNew && u.role === 'enterprise' ? h('div', { class: 'field' },
        checkbox('enterprise_manager', t('a.user.enterpriseManager'), { checked: u.enterprise_manager, testid: 'user-enterprise-manager' })) : null,
    ];
    const r = await formDialog({
      title: isNew ? t('a.user.create') : t('a.user.edit'), okText: t('common.save'), action: isNew ? 'user-create' : 'user-edit', fields, duplicateField: 'username',
      submit: async (form, v) => {
        const rules = { name: { required: true, max: 100 } };
        if (isNew) { rules.username = { required: true, max: 64 }; rules.password = { required: true, max: 128 }; }
        const errs = {};
        try { checkFields(v, rules); } catch (e) { Object.assign(errs, e.fields); }
        if (v.password && [...v.password].length < 8) errs.password = t('fe.atLeast', { n: 8 });
        if (v.role === 'cadre' && !v.department_id) errs.department_id = t('s.pickOne');
        if (v.role === 'enterprise' && !v.enterprise_id) errs.enterprise_id = t('s.pickOne');
        if (Object.keys(errs).length) throw localError(errs);
        const after = {
          name: v.name.trim(), role: v.role, phone: v.phone.trim(), email: v.email.trim(),
          department_id: v.role === 'cadre' ? v.department_id : null,
          enterprise_id: v.role === 'enterprise' ? v.enterprise_id : null,
        };
        if (!isNew) { after.notify_email = !!v.notify_email; after.notify_sms = !!v.notify_sms; }
        if (!isNew && u.role === 'enterprise' && v.role === 'enterprise') after.enterprise_manager = !!v.enterprise_manager;
        const body = diff(u, after, ['phone', 'email', 'department_id', 'enterprise_id']);
        if (v.password) body.password = v.password;
        if (isNew) { body.username = v.username.trim(); return api('POST', '/users', body); }
        if (!Object.keys(body).length) return true;
        return api('PATCH', `/users/${encodeURIComponent(u.id)}`, body);
      },
    });
    if (r) {
      invalidate('cadres:'); if (u) invalidate(`user:${u.id}`);
      toast(isNew ? t('a.common.created') : t('a.common.saved'), 'success');
      list.reload();
    }
  }

  go();
  return adminPage(t('a.user.title'), [
    head(t('a.user.title'), btn(t('a.user.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'user-create', ic: 'plus' })),
    toolbar, box]);
}
