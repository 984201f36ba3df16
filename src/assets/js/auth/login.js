// auth/login.js — the sign-in page (#/login), for every role: by SMS code or by password.
// Signed in, the router loads the role's pages and goes where the reader was going.
//
// Test ids (stable, for tests/e2e):
//   login-tab-sms login-tab-password login-phone sms-send login-code login-username
//   login-password login-submit login-error link-register link-forgot lang-zh lang-en

import { h } from '../core/dom.js';
import { t, addStrings } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { afterSignIn, refresh, navigate } from '../core/router.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, input, submitBusy, formError, setFormError } from '../core/forms.js';
import { tabs } from '../core/controls.js';
import { normPhone, phoneOk, smsButton, brandHero, keep, forgetTyped, saveProof, forgetProof } from './common.js';
import { toast } from '../core/feedback.js';
import * as strings from '../strings/auth.js';

addStrings(strings.zh, strings.en);

let loginTab = 'sms';

export function loginPage() {
  const box = formError('login-error');
  let form;
  const done = (resp) => { forgetTyped(); forgetProof(); session.signIn(resp); afterSignIn(); };

  if (loginTab === 'sms') {
    const phone = keep(input({ name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', placeholder: t('login.phonePh'), maxlength: '20', 'data-testid': 'login-phone' }), 'phone');
    const code = input({ name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: t('login.codePh'), maxlength: '6', 'data-testid': 'login-code' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'login-submit' }, t('login.submit'));
    form = h('form', { class: 'form', novalidate: true },
      h('div', { class: 'form-cells' },
        field(t('login.phone'), phone),
        field(t('login.code'), h('div', { class: 'input-with-btn' }, code, smsButton('login', phone, box)))),
      box, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      setFormError(box, '');
      const le = localErrors({ phone: !phoneOk(phone.value) && t('login.badPhone'), code: !/^\d{6}$/.test(code.value.trim()) && t('login.badCode') });
      if (le) { showFieldErrors(form, le); return; }
      clearFieldErrors(form);
      submitBusy(submit, true, t('login.submitting'));
      try {
        const number = normPhone(phone.value);
        const r = await api('POST', '/auth/sms-login', { phone: number, code: code.value.trim() }, { auth: false });
        if (r.access_token) { done(r); return; }
        // Code-first: the number has no account. A request to join is waiting, or it registers.
        submitBusy(submit, false);
        if (r.join_request) {
          setFormError(box, t('login.joinPending', { name: r.join_request.enterprise_name }));
          return;
        }
        saveProof({ phone: number, proof: r.phone_proof });
        toast(t('login.toRegister'), 'success');
        navigate('#/register');
      } catch (err) {
        submitBusy(submit, false);
        if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
      }
    });
  } else {
    const username = keep(input({ name: 'username', autocomplete: 'username', placeholder: t('login.usernamePh'), maxlength: '64', autocapitalize: 'none', spellcheck: 'false', 'data-testid': 'login-username' }), 'username');
    const password = input({ name: 'password', type: 'password', autocomplete: 'current-password', placeholder: t('login.passwordPh'), maxlength: '128', 'data-testid': 'login-password' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'login-submit' }, t('login.submit'));
    form = h('form', { class: 'form', novalidate: true },
      h('div', { class: 'form-cells' },
        field(t('login.username'), username),
        field(t('login.password'), password)),
      box, submit,
      h('p', { class: 'form-note muted' }, t('login.staffHint'), ' ',
        h('a', { href: '#/forgot', 'data-testid': 'link-forgot' }, t('forgot.link'))));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      setFormError(box, '');
      const le = localErrors({ username: !username.value.trim() && t('login.needUsername'), password: !password.value && t('login.needPassword') });
      if (le) { showFieldErrors(form, le); return; }
      clearFieldErrors(form);
      submitBusy(submit, true, t('login.submitting'));
      try {
        done(await api('POST', '/auth/login', { username: username.value.trim(), password: password.value }, { auth: false }));
      } catch (err) {
        submitBusy(submit, false);
        if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
        if (err.code === 'invalid_credentials') { password.select(); password.focus(); }
      }
    });
  }

  const body = h('div', { class: 'auth' },
    brandHero(),
    h('div', { class: 'auth-card' },
      tabs([
        { value: 'sms', label: t('login.tabSms'), testid: 'login-tab-sms' },
        { value: 'password', label: t('login.tabPassword'), testid: 'login-tab-password' },
      ], loginTab, (v) => { loginTab = v; refresh(); }),
      form,
      h('p', { class: 'auth-switch' }, t('login.noAccount'), ' ',
        h('a', { href: '#/register', 'data-testid': 'link-register' }, t('login.register')))));
  return h('div', { class: 'page page-auth' }, h('h1', { class: 'topbar-title sr-only' }, t('login.title')), h('main', { class: 'page-body', tabindex: '-1' }, body));
}
