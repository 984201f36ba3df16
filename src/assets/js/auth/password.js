// auth/password.js — choosing a new password (#/password), for every role: from 我的, or first
// thing after signing in with a password someone else set (an administrator's reset, the first
// administrator made on the command line: the user's must_change_password). Until then the
// router sends every page here and the API answers nothing else (403 password_change_required).
//
// Test ids (stable, for tests/e2e):
//   password-forced password-current password-new password-confirm password-submit
//   password-error password-signout

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t, addStrings } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session, homeOf } from '../core/session.js';
import { navigate, afterSignIn } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, input, submitBusy, formError, setFormError } from '../core/forms.js';
import { strongEnough } from './common.js';
import * as strings from '../strings/auth.js';

addStrings(strings.zh, strings.en);

export function passwordPage() {
  const forced = !!(session.user() && session.user().must_change_password);
  const box = formError('password-error');
  const current = input({ name: 'current_password', type: 'password', autocomplete: 'current-password', placeholder: t(forced ? 'pw.currentForcedPh' : 'pw.currentPh'), maxlength: '128', 'data-testid': 'password-current' });
  const fresh = input({ name: 'new_password', type: 'password', autocomplete: 'new-password', placeholder: t('pw.newPh'), maxlength: '128', 'data-testid': 'password-new' });
  const again = input({ name: 'confirm', type: 'password', autocomplete: 'new-password', placeholder: t('reg.password2Ph'), maxlength: '128', 'data-testid': 'password-confirm' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'password-submit' }, t('pw.submit'));
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'form-cells' },
      field(t(forced ? 'pw.currentForced' : 'pw.current'), current),
      field(t('pw.new'), fresh, t('reg.passwordShort')),
      field(t('reg.password2'), again)),
    box, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFormError(box, '');
    const le = localErrors({
      current_password: !current.value && t('pw.needCurrent'),
      new_password: !strongEnough(fresh.value) ? t('reg.passwordShort')
        : fresh.value === current.value ? t('pw.same') : false,
      confirm: fresh.value !== again.value && t('reg.passwordMismatch'),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    submitBusy(submit, true, t('pw.submitting'));
    try {
      const resp = await api('POST', '/me/password', { current_password: current.value, new_password: fresh.value });
      session.signIn(resp);
      toast(t('pw.done'), 'success');
      if (forced) afterSignIn();
      else navigate(`${homeOf(resp.user.role)}/me`, { replace: true });
    } catch (err) {
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
      if (err.fields && err.fields.current_password) { current.select(); current.focus(); }
    }
  });
  const body = h('div', { class: 'me password-page' },
    forced ? h('p', { class: 'notice notice-warn', role: 'status', 'data-testid': 'password-forced' }, icon('alert'), h('span', null, t('pw.forced'))) : null,
    h('p', { class: 'form-note muted' }, t('pw.after')),
    form,
    forced ? h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn btn-ghost btn-block', 'data-testid': 'password-signout',
      onclick: () => { session.signOut(); navigate('#/login', { replace: true }); } }, t('pw.signOut'))) : null);
  return page({ title: t('pw.title'), back: forced ? null : true, body });
}
