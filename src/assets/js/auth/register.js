// auth/register.js — an enterprise's registration (#/register): its unified social credit code
// (GB 32100-2015, checked here as on the server), its name, the contact, a phone proven by an
// SMS code, a password and consent to the user agreement and privacy policy in force;
// registered, it is signed in. Code-first: the code is a sign-in code, checked first with
// /auth/sms-login — a number with an account is simply signed in; one without comes back with a
// proof that registers it (and so does the sign-in page, which sends an unknown number here
// with its proof: the phone is then shown as verified). An enterprise that has an account
// already is joined by request (申请加入), decided by its manager or a dispatcher.
//
// Test ids (stable, for tests/e2e):
//   reg-credit-code reg-enterprise-name reg-contact-name reg-phone sms-send reg-code
//   reg-phone-verified reg-password reg-password2 reg-consent link-legal reg-submit reg-error
//   reg-join reg-join-sent link-login

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
import { normPhone, phoneOk, smsButton, keep, forgetTyped, strongEnough, takeProof, saveProof } from './common.js';
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

export async function registerPage() {
  // Without the texts in force there is nothing to consent to: a failure shows the error page
  // (with a retry) rather than a form that would send no version.
  const legal = await api('GET', '/legal', null, { auth: false });
  let proven = takeProof(); // {phone, proof} from the sign-in page, or from a first try here
  const box = formError('reg-error');
  const credit = keep(input({ name: 'credit_code', placeholder: t('reg.creditCodePh'), maxlength: '18', autocapitalize: 'characters', spellcheck: 'false', 'data-testid': 'reg-credit-code' }), 'credit');
  const ename = keep(input({ name: 'enterprise_name', placeholder: t('reg.enterpriseNamePh'), maxlength: '100', autocomplete: 'organization', 'data-testid': 'reg-enterprise-name' }), 'ename');
  const cname = keep(input({ name: 'contact_name', placeholder: t('reg.contactNamePh'), maxlength: '100', autocomplete: 'name', 'data-testid': 'reg-contact-name' }), 'cname');
  const phone = keep(input({ name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', placeholder: t('login.phonePh'), maxlength: '20', 'data-testid': 'reg-phone' }), 'phone');
  const code = input({ name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: t('login.codePh'), maxlength: '6', 'data-testid': 'reg-code' });
  const pw = input({ name: 'password', type: 'password', autocomplete: 'new-password', placeholder: t('reg.passwordPh'), maxlength: '128', 'data-testid': 'reg-password' });
  const pw2 = input({ name: 'password2', type: 'password', autocomplete: 'new-password', placeholder: t('reg.password2Ph'), maxlength: '128', 'data-testid': 'reg-password2' });
  const consent = h('input', { type: 'checkbox', name: 'consent_version', 'data-testid': 'reg-consent' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'reg-submit' }, t('reg.submit'));
  const joinBox = h('div', { class: 'notice notice-warn hidden', role: 'status' });

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

  const phoneCells = proven
    ? h('div', { class: 'form-cells' }, field(t('reg.phone'),
      h('div', { class: 'verified-phone', 'data-testid': 'reg-phone-verified' }, proven.phone, ' ', h('span', { class: 'tag tag-resolved' }, t('reg.verified')))))
    : h('div', { class: 'form-cells' },
      field(t('reg.phone'), phone, null, { required: true }),
      field(t('reg.code'), h('div', { class: 'input-with-btn' }, code, smsButton('login', phone, box)), null, { required: true }));
  const consentField = h('div', { class: 'field field-consent' },
    h('label', { class: 'consent' }, consent, h('span', null, t('reg.consentPre'),
      h('a', { href: '#/legal', target: '_blank', rel: 'noopener', 'data-testid': 'link-legal' }, t('legal.terms')), t('reg.consentAnd'),
      h('a', { href: '#/legal?doc=privacy', target: '_blank', rel: 'noopener' }, t('legal.privacy')))),
    h('div', { class: 'field-error', role: 'alert' }));
  const form = h('form', { class: 'form', novalidate: true },
    h('p', { class: 'form-intro muted' }, t('reg.intro')),
    h('div', { class: 'form-cells' },
      field(t('reg.creditCode'), credit, null, { required: true }),
      field(t('reg.enterpriseName'), ename, null, { required: true }),
      field(t('reg.contactName'), cname, null, { required: true })),
    phoneCells,
    h('div', { class: 'form-cells' },
      field(t('reg.password'), pw, null, { required: true }),
      field(t('reg.password2'), pw2, null, { required: true })),
    consentField,
    box, joinBox, submit,
    h('p', { class: 'auth-switch' }, t('reg.have'), ' ', h('a', { href: '#/login', 'data-testid': 'link-login' }, t('reg.login'))));

  const body = () => ({
    credit_code: credit.value.trim().toUpperCase(),
    enterprise_name: ename.value.trim(),
    contact_name: cname.value.trim(),
    phone: proven.phone,
    phone_proof: proven.proof,
    password: pw.value,
    consent_version: legal.version,
  });
  const signedIn = (resp, note) => { forgetTyped(); session.signIn(resp); toast(note, 'success'); afterSignIn(); };
  const joinSent = (r) => {
    forgetTyped();
    form.replaceChildren(h('div', { class: 'notice notice-success', role: 'status', 'data-testid': 'reg-join-sent' },
      t('reg.joinSent', { name: r.enterprise_name })),
    h('p', { class: 'auth-switch' }, h('a', { href: '#/login' }, t('reg.login'))));
  };
  const offerJoin = () => {
    joinBox.replaceChildren(h('p', null, t('reg.entTaken')),
      h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-testid': 'reg-join', onclick: async (e) => {
        const b = e.currentTarget; b.disabled = true;
        try { joinSent(await api('POST', '/auth/register', { ...body(), join: true }, { auth: false })); } catch (err) { b.disabled = false; setFormError(box, errorMessage(err)); }
      } }, t('reg.join')));
    joinBox.classList.remove('hidden');
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFormError(box, '');
    joinBox.classList.add('hidden');
    const le = localErrors({
      credit_code: !creditCodeOk(credit.value) && t('reg.creditBad'),
      enterprise_name: !ename.value.trim() && t('fe.required'),
      contact_name: !cname.value.trim() && t('fe.required'),
      phone: !proven && !phoneOk(phone.value) && t('login.badPhone'),
      code: !proven && !/^\d{6}$/.test(code.value.trim()) && t('login.badCode'),
      password: !strongEnough(pw.value) && t('reg.passwordShort'),
      password2: pw.value !== pw2.value && t('reg.passwordMismatch'),
      consent_version: !consent.checked && t('reg.consentNeeded'),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    submitBusy(submit, true, t('reg.submitting'));
    try {
      if (!proven) {
        // The code proves the number; a number with an account is signed in instead.
        const number = normPhone(phone.value);
        const r = await api('POST', '/auth/sms-login', { phone: number, code: code.value.trim() }, { auth: false });
        if (r.access_token) { signedIn(r, t('reg.alreadyRegistered')); return; }
        if (r.join_request) { joinSent(r.join_request); return; }
        proven = { phone: number, proof: r.phone_proof };
        saveProof(proven);
      }
      const resp = await api('POST', '/auth/register', body(), { auth: false });
      signedIn(resp, t('reg.success'));
    } catch (err) {
      submitBusy(submit, false);
      if (err.code === 'enterprise_registered') offerJoin();
      else if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });

  return page({ title: t('reg.title'), back: '#/login', body: h('div', { class: 'auth auth-register' }, form), actions: langSwitch() });
}
