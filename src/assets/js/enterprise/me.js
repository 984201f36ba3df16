// enterprise/me.js — 我的 (#/e/me): the enterprise user's account, notification switches, the
// language and signing out.
//
// Test ids (stable, for tests/e2e):
//   me-name me-phone me-username me-enterprise me-credit-code me-password notify-sms notify-email
//   lang-zh lang-en signout me-traits (企业信息) me-applications (我的申报)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { cell, cells, langSwitch } from '../core/controls.js';

export async function mePage() {
  const me = await api('GET', '/me');
  session.setUser(me);
  const ent = me.enterprise_id ? await api('GET', `/enterprises/${encodeURIComponent(me.enterprise_id)}`).catch(() => null) : null;

  const toggle = (name, testid, label) => {
    const cb = h('input', { type: 'checkbox', class: 'switch', role: 'switch', name, checked: !!me[name], 'data-testid': testid, 'aria-label': label });
    cb.addEventListener('change', async () => {
      cb.disabled = true;
      try {
        const u = await api('PATCH', '/me', { [name]: cb.checked });
        session.setUser(u);
        toast(t('me.saved'), 'success');
      } catch (err) { cb.checked = !cb.checked; toast(errorMessage(err), 'error'); }
      cb.disabled = false;
    });
    return cell({ label, value: cb });
  };

  const body = h('div', { class: 'me' },
    h('div', { class: 'me-card' },
      h('div', { class: 'me-avatar', 'aria-hidden': 'true' }, (me.name || '?').slice(0, 1)),
      h('div', null, h('div', { class: 'me-name', 'data-testid': 'me-name' }, me.name), h('div', { class: 'me-sub' }, ent ? ent.name : t(`role.${me.role}`)))),
    cells(t('me.profile'),
      cell({ label: t('me.phone'), value: h('span', { 'data-testid': 'me-phone' }, me.phone || '') }),
      cell({ label: t('me.username'), value: h('span', { 'data-testid': 'me-username' }, me.username) }),
      cell({ label: t('me.role'), value: t(`role.${me.role}`) }),
      ent ? cell({ label: t('me.enterprise'), value: h('span', { 'data-testid': 'me-enterprise' }, ent.name) }) : null,
      ent ? cell({ label: t('me.creditCode'), value: h('span', { class: 'mono', 'data-testid': 'me-credit-code' }, ent.credit_code) }) : null,
      cell({ label: t('pw.link'), to: '#/password', testid: 'me-password' }),
      cell({ label: t('phone.link'), to: '#/phone', testid: 'me-phone-change' }),
      me.enterprise_manager ? cell({ label: t('members.title'), to: '#/members', testid: 'me-members' }) : null,
      cell({ label: t('legal.title'), to: '#/legal', testid: 'me-legal' })),
    // 送政策: what matching reads of the enterprise, and its applications.
    ent ? cells(t('ep.title'),
      cell({ label: t('ep.prof.link'), to: '#/e/profile', testid: 'me-traits' }),
      cell({ label: t('ep.apps.title'), to: '#/e/policies?tab=mine', testid: 'me-applications' })) : null,
    cells(t('me.notify'),
      toggle('notify_sms', 'notify-sms', t('me.notifySms')),
      toggle('notify_email', 'notify-email', t('me.notifyEmail'))),
    cells(t('me.language'), h('div', { class: 'cell' }, langSwitch())),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn btn-block btn-outline-danger', 'data-testid': 'signout', onclick: async () => {
        if (!(await confirmDialog(t('common.signOutConfirm'), { okText: t('me.signout'), danger: true }))) return;
        session.signOut();
        navigate('#/login', { replace: true });
      } }, icon('logout'), t('me.signout'))));
  return page({ title: t('me.title'), body, tabbar: true });
}
