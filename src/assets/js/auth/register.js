// auth/register.js — an enterprise's registration (#/register): its unified social credit code
// (GB 32100-2015, checked here as on the server), its name, the contact, a phone with an SMS
// code and a password; registered, it is signed in.
//
// Test ids (stable, for tests/e2e):
//   reg-credit-code reg-enterprise-name reg-contact-name reg-phone sms-send reg-code
//   reg-password reg-password2 reg-submit reg-error link-login

import { h } from '../core/dom.js';
import { t, lang, addStrings } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { afterSignIn } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, input, submitBusy, formError, setFormError } from '../core/forms.js';
import { langSwitch } from '../core/controls.js';
import { normPhone, phoneOk, smsButton, keep, forgetTyped, strongEnough } from './common.js';
import * as strings from '../strings/auth.js';

addStrings(strings.zh, strings.en);

const CC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/** GB 32100-2015 unified social credit code (format and check character). */
function creditCodeOk(raw) {
  const c = String(raw || '').trim().toUpperCase();
  if (!/^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$/.test(c)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CC_CHARS.indexOf(c[i]) * CC_W[i];
  return CC_CHARS[(31 - (sum % 31)) % 31] === c[17];
}

/** A local validation error in the API's shape, so that showFieldErrors can show it. */

export function registerPage() {
  const box = formError('reg-error');
  const credit = keep(input({ name: 'credit_code', placeholder: t('reg.creditCodePh'), maxlength: '18', autocapitalize: 'characters', spellcheck: 'false', 'data-testid': 'reg-credit-code' }), 'credit');
  const ename = keep(input({ name: 'enterprise_name', placeholder: t('reg.enterpriseNamePh'), maxlength: '100', autocomplete: 'organization', 'data-testid': 'reg-enterprise-name' }), 'ename');
  const cname = keep(input({ name: 'contact_name', placeholder: t('reg.contactNamePh'), maxlength: '100', autocomplete: 'name', 'data-testid': 'reg-contact-name' }), 'cname');
  const phone = keep(input({ name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', placeholder: t('login.phonePh'), maxlength: '20', 'data-testid': 'reg-phone' }), 'phone');
  const code = input({ name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: t('login.codePh'), maxlength: '6', 'data-testid': 'reg-code' });
  const pw = input({ name: 'password', type: 'password', autocomplete: 'new-password', placeholder: t('reg.passwordPh'), maxlength: '128', 'data-testid': 'reg-password' });
  const pw2 = input({ name: 'password2', type: 'password', autocomplete: 'new-password', placeholder: t('reg.password2Ph'), maxlength: '128', 'data-testid': 'reg-password2' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'reg-submit' }, t('reg.submit'));

  credit.addEventListener('input', () => {
    const up = credit.value.toUpperCase().replace(/\s/g, '');
    if (up !== credit.value) credit.value = up;
  });
  credit.addEventListener('blur', () => {
    const f = credit.closest('.field');
    const bad = credit.value.trim() && !creditCodeOk(credit.value);
    f.querySelector('.field-error').textContent = bad ? t('reg.creditBad') : '';
    f.classList.toggle('invalid', !!bad);
    if (bad) credit.setAttribute('aria-invalid', 'true'); else credit.removeAttribute('aria-invalid');
  });

  const form = h('form', { class: 'form', novalidate: true },
    h('p', { class: 'form-intro muted' }, t('reg.intro')),
    h('div', { class: 'form-cells' },
      field(t('reg.creditCode'), credit, null, { required: true }),
      field(t('reg.enterpriseName'), ename, null, { required: true }),
      field(t('reg.contactName'), cname, null, { required: true })),
    h('div', { class: 'form-cells' },
      field(t('reg.phone'), phone, null, { required: true }),
      field(t('reg.code'), h('div', { class: 'input-with-btn' }, code, smsButton('register', phone, box)), null, { required: true })),
    h('div', { class: 'form-cells' },
      field(t('reg.password'), pw, null, { required: true }),
      field(t('reg.password2'), pw2, null, { required: true })),
    box, submit,
    h('p', { class: 'auth-switch' }, t('reg.have'), ' ', h('a', { href: '#/login', 'data-testid': 'link-login' }, t('reg.login'))));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFormError(box, '');
    const le = localErrors({
      credit_code: !creditCodeOk(credit.value) && t('reg.creditBad'),
      enterprise_name: !ename.value.trim() && t('fe.required'),
      contact_name: !cname.value.trim() && t('fe.required'),
      phone: !phoneOk(phone.value) && t('login.badPhone'),
      code: !/^\d{6}$/.test(code.value.trim()) && t('login.badCode'),
      password: !strongEnough(pw.value) && t('reg.passwordShort'),
      password2: pw.value !== pw2.value && t('reg.passwordMismatch'),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    submitBusy(submit, true, t('reg.submitting'));
    try {
      const resp = await api('POST', '/auth/register', {
        credit_code: credit.value.trim().toUpperCase(),
        enterprise_name: ename.value.trim(),
        contact_name: cname.value.trim(),
        phone: normPhone(phone.value),
        code: code.value.trim(),
        password: pw.value,
      }, { auth: false });
      forgetTyped();
      session.signIn(resp);
      toast(t('reg.success'), 'success');
      afterSignIn();
    } catch (err) {
      submitBusy(submit, false);
      if (err.status === 409) setFormError(box, lang() === 'en' && err.message ? err.message : t('reg.conflict'));
      else if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });

  return page({ title: t('reg.title'), back: '#/login', body: h('div', { class: 'auth auth-register' }, form), actions: langSwitch() });
}
