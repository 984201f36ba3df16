// desk/me.js — 我的 of the cadres, dispatchers and admins (#/c/me, #/d/me, #/a/me): the account,
// the weekly bulletins (每周通报), notification switches, the language and signing out.
//
// Test ids (stable, for tests/e2e):
//   me-name me-password me-bulletins notify-email notify-sms lang-zh lang-en sign-out

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t, lang, setLang } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { cell, segmented } from '../core/controls.js';
import { directory, nameMap } from './directory.js';

/** "a sign-out + language + notification switches" account page, shared by cadres, dispatchers and admins. */
export async function mePage(back) {
  let me = session.user();
  try { me = await api('GET', '/me'); session.setUser(me); } catch (err) { if (err instanceof ApiError && err.status === 401) throw err; }
  let deptName = '';
  if (me.department_id) {
    try { deptName = nameMap(await directory.departments()).get(me.department_id) || ''; } catch { /* shown empty */ }
  }
  const save = async (key, input) => {
    input.disabled = true;
    try {
      const u = await api('PATCH', '/me', { [key]: input.checked });
      session.setUser(u);
      toast(t('s.me.saved'), 'success');
    } catch (err) {
      input.checked = !input.checked;
      toast(errorMessage(err), 'error');
    } finally { input.disabled = false; }
  };
  const sw = (key, label, testid) => h('label', { class: 'cell' }, h('span', { class: 'cell-label' }, label), h('span', { class: 'cell-value' },
    h('input', { type: 'checkbox', class: 'switch', role: 'switch', checked: !!me[key], 'data-testid': testid, 'aria-label': label, onchange: (e) => save(key, e.target) })));
  const row = (label, value) => (value ? h('div', { class: 'cell' }, h('span', { class: 'cell-label' }, label), h('span', { class: 'cell-value' }, value)) : null);
  const body = h('div', { class: 'me sf-me' },
    h('div', { class: 'me-card' },
      h('div', { class: 'me-avatar', 'aria-hidden': 'true' }, (me.name || me.username || '?').slice(0, 1)),
      h('div', null,
        h('div', { class: 'me-name', 'data-testid': 'me-name' }, me.name || me.username),
        h('div', { class: 'me-sub' }, t(`role.${me.role}`), deptName ? ` · ${deptName}` : ''))),
    h('section', { class: 'cells' },
      row(t('s.me.username'), me.username),
      row(t('s.me.phone'), me.phone),
      row(t('s.me.email'), me.email),
      cell({ label: t('bl.link'), to: '#/bulletins', testid: 'me-bulletins' }),
      cell({ label: t('pw.link'), to: '#/password', testid: 'me-password' }),
      cell({ label: t('phone.link'), to: '#/phone', testid: 'me-phone-change' }),
      me.role === 'dispatcher' || me.role === 'admin' ? cell({ label: t('join.title'), to: '#/join-requests', testid: 'me-join-requests' }) : null,
      me.role === 'admin' ? cell({ label: t('legalEdit.title'), to: '#/legal-edit', testid: 'me-legal-edit' }) : null),
    h('section', { class: 'cells' },
      h('h2', { class: 'cells-title' }, t('s.me.notify')),
      sw('notify_email', t('s.me.notifyEmail'), 'notify-email'),
      sw('notify_sms', t('s.me.notifySms'), 'notify-sms')),
    h('section', { class: 'cells' },
      h('h2', { class: 'cells-title' }, t('s.me.lang')),
      h('div', { class: 'cell' }, segmented({ name: 'lang', value: lang(), label: t('s.me.lang'),
        options: [{ value: 'zh', label: '中文', testid: 'lang-zh' }, { value: 'en', label: 'English', testid: 'lang-en' }],
        onChange: (v) => setLang(v) }))),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn btn-outline-danger btn-block', 'data-testid': 'sign-out',
      onclick: async () => {
        if (!(await confirmDialog(t('common.signOutConfirm'), { danger: true, okText: t('s.me.signOut') }))) return;
        session.signOut();
        navigate('#/login', { replace: true });
      } }, icon('logout'), t('s.me.signOut'))));
  return page({ title: t('s.me.title'), back, body, tabbar: true, wide: true, className: 'sf-page sf-mepage' });
}
