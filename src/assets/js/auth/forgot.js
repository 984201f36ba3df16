// auth/forgot.js — 忘记密码 (#/forgot): an enterprise user chooses a new password with a code
// sent by SMS to the account's phone, and is signed in. Staff ask an administrator (the
// page says so). Whether the number has an account is never told: the code simply does not
// come.
//
// Test ids (stable, for tests/e2e):
//   forgot-phone forgot-code forgot-new forgot-confirm forgot-submit forgot-error link-forgot

import { h } from '../core/dom.js';
import { t, addStrings } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { afterSignIn } from '../core/router.js';
import { toast } from '../core/feedback.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, input, submitBusy, formError, setFormError } from '../core/forms.js';
import { normPhone, phoneOk, smsButton, brandHero, keep, forgetTyped, strongEnough } from './common.js';
import * as strings from '../strings/auth.js';

addStrings(strings.zh, strings.en);

export function forgotPage() {
  const box = formError('forgot-error');
  const phone = keep(input({ name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', placeholder: t('login.phonePh'), maxlength: '20', 'data-testid': 'forgot-phone' }), 'phone');
  const code = input({ name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: t('login.codePh'), maxlength: '6', 'data-testid': 'forgot-code' });
  const fresh = input({ name: 'new_password', type: 'password', autocomplete: 'new-password', placeholder: t('pw.newPh'), maxlength: '128', 'data-testid': 'forgot-new' });
  const again = input({ name: 'confirm', type: 'password', autocomplete: 'new-password', placeholder: t('reg.password2Ph'), maxlength: '128', 'data-testid': 'forgot-confirm' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'forgot-submit' }, t('forgot.submit'));
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'form-cells' },
      field(t('login.phone'), phone),
      field(t('login.code'), h('div', { class: 'input-with-btn' }, code, smsButton('reset', phone, box))),
      field(t('pw.new'), fresh, t('reg.passwordShort')),
      field(t('reg.password2'), again)),
    box, submit,
    h('p', { class: 'form-note muted' }, t('forgot.staff')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFormError(box, '');
    const le = localErrors({
      phone: !phoneOk(phone.value) && t('login.badPhone'),
      code: !/^\d{6}$/.test(code.value.trim()) && t('login.badCode'),
      new_password: !strongEnough(fresh.value) && t('reg.passwordShort'),
      confirm: fresh.value !== again.value && t('reg.passwordMismatch'),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    submitBusy(submit, true, t('pw.submitting'));
    try {
      const resp = await api('POST', '/auth/password-reset', { phone: normPhone(phone.value), code: code.value.trim(), new_password: fresh.value }, { auth: false });
      forgetTyped();
      session.signIn(resp);
      toast(t('pw.done'), 'success');
      afterSignIn();
    } catch (err) {
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  const body = h('div', { class: 'auth' },
    brandHero(),
    h('div', { class: 'auth-card' },
      h('h2', { class: 'auth-card-title' }, t('forgot.title')),
      form,
      h('p', { class: 'auth-switch' }, h('a', { href: '#/login', 'data-testid': 'link-login' }, t('forgot.back')))));
  return h('div', { class: 'page page-auth' }, h('h1', { class: 'topbar-title sr-only' }, t('forgot.title')), h('main', { class: 'page-body', tabindex: '-1' }, body));
}
