// auth/common.js — what the sign-in and registration pages share: phone numbers (normPhone,
// phoneOk), the SMS code button with its countdown (smsButton), the brand header (brandHero) and
// the values typed on either page, kept across tab and language switches (keep, forgetTyped;
// never passwords), and the password rule (strongEnough).

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { showFieldErrors } from '../core/forms.js';
import { langSwitch } from '../core/controls.js';
import { onLeave } from '../core/router.js';

export function normPhone(v) {
  let s = String(v || '').replace(/[\s\-()\u3000]/g, '');
  if (s.startsWith('+86')) s = s.slice(3);
  else if (s.startsWith('0086')) s = s.slice(4);
  return s;
}
export const phoneOk = (v) => /^1\d{10}$/.test(normPhone(v));

// SMS countdowns survive re-renders (language switch) and tab changes.
const smsUntil = {};

export function smsButton(purpose, phoneInput, errTarget) {
  const btn = h('button', { type: 'button', class: 'btn btn-ghost btn-small sms-btn', 'data-testid': 'sms-send' }, t('login.sendCode'));
  let timer = null;
  const tick = () => {
    const left = Math.ceil(((smsUntil[purpose] || 0) - Date.now()) / 1000);
    if (left > 0) { btn.disabled = true; btn.textContent = t('login.resend', { n: left }); }
    else { btn.disabled = false; btn.textContent = t('login.sendCode'); if (timer) { clearInterval(timer); timer = null; } }
  };
  const countdown = (secs) => {
    smsUntil[purpose] = Date.now() + secs * 1000;
    tick();
    if (!timer) timer = setInterval(tick, 1000);
  };
  onLeave(() => { if (timer) clearInterval(timer); });
  if ((smsUntil[purpose] || 0) > Date.now()) countdown(Math.ceil((smsUntil[purpose] - Date.now()) / 1000));
  btn.addEventListener('click', async () => {
    const form = phoneInput.form;
    const fieldEl = phoneInput.closest('.field');
    const errEl = fieldEl && fieldEl.querySelector('.field-error');
    if (!phoneOk(phoneInput.value)) {
      if (errEl) { errEl.textContent = t('login.badPhone'); fieldEl.classList.add('invalid'); }
      phoneInput.setAttribute('aria-invalid', 'true');
      phoneInput.focus();
      return;
    }
    if (errEl) { errEl.textContent = ''; fieldEl.classList.remove('invalid'); }
    phoneInput.removeAttribute('aria-invalid');
    btn.disabled = true;
    try {
      const r = await api('POST', '/auth/sms-code', { phone: normPhone(phoneInput.value), purpose }, { auth: false });
      toast(t('login.codeSent'), 'success');
      countdown((r && r.resend_after) || 60);
      const code = form && form.querySelector('[name="code"]');
      if (code) code.focus();
    } catch (err) {
      btn.disabled = false;
      if (err.status === 429) countdown(err.retryAfter || 60);
      if (!showFieldErrors(form, err)) {
        if (errTarget) { errTarget.textContent = errorMessage(err); errTarget.classList.remove('hidden'); }
        else toast(errorMessage(err), 'error');
      }
    }
  });
  return btn;
}

export function brandHero(sub) {
  return h('div', { class: 'hero' },
    h('div', { class: 'hero-top' }, h('span', { class: 'hero-spacer' }), langSwitch()),
    h('div', { class: 'hero-logo', 'aria-hidden': 'true' }, '哨'),
    h('div', { class: 'hero-name' }, t('app.name')),
    h('div', { class: 'hero-sub' }, sub || t('app.slogan')));
}

const typed = {}; // values typed on the login/register pages survive tab and language switches (never passwords)
export function forgetTyped() { for (const k of Object.keys(typed)) delete typed[k]; }
export function keep(el, key) {
  if (typed[key] !== undefined) el.value = typed[key];
  el.addEventListener('input', () => { typed[key] = el.value; });
  return el;
}

/** The server's rule for a password: 8 to 128 characters, three of lower, upper, digit, other. */
export function strongEnough(value) {
  const chars = [...value];
  if (chars.length < 8 || chars.length > 128) return false;
  const kinds = new Set(chars.map((c) => (/[a-z]/.test(c) ? 'l' : /[A-Z]/.test(c) ? 'u' : /[0-9]/.test(c) ? 'd' : 'o')));
  return kinds.size >= 3;
}

// A number proven by a sign-in code that has no account yet (/auth/sms-login answered 202): the
// registration page registers it without another code, within the proof's half hour.
const PROOF_KEY = 'qys.phoneProof';
export function saveProof(p) {
  try { sessionStorage.setItem(PROOF_KEY, JSON.stringify({ ...p, until: Date.now() + 29 * 60 * 1000 })); } catch { /* ignore */ }
}
export function takeProof() {
  try {
    const p = JSON.parse(sessionStorage.getItem(PROOF_KEY) || 'null');
    if (p && p.until > Date.now() && p.phone && p.proof) return p;
    sessionStorage.removeItem(PROOF_KEY);
  } catch { /* ignore */ }
  return null;
}
export function forgetProof() { try { sessionStorage.removeItem(PROOF_KEY); } catch { /* ignore */ } }
