// core/forms.js — form cells and their errors.
//
//   field(label, input, hint?, {required, cls}?)  a labelled cell (.field) with a hint and an error
//                                   slot; links label, hint and error to the input.
//   showFieldErrors(form, apiError) shows error.fields under the inputs of those names (nested
//                                   'a[0]' → 'a'), the rest in the form's .form-error box (or a toast);
//                                   focuses the first; → whether the error had fields.
//   clearFieldErrors(form)
//   localErrors({name: message|false}) → an ApiError in the server's shape, or null when all are false.
//   input(attrs) / counter(textarea, max) / submitBusy(button, busy, busyText)
//   formError(testid) / setFormError(box, msg)   the form's own error box.

import { h } from './dom.js';
import { ApiError, fieldMessage } from './errors.js';
import { toast } from './feedback.js';
import { t } from './i18n.js';

let fieldSeq = 0;

export function field(label, input, hint, opts = {}) {
  const id = input.id || `f${++fieldSeq}`;
  const isControl = input.matches && input.matches('input,select,textarea');
  const isGroup = !isControl && (input.classList.contains('seg') || input.classList.contains('uploader')
    || input.getAttribute('role') === 'radiogroup' || input.getAttribute('role') === 'group');
  const inner = isControl ? input : isGroup ? null : input.querySelector && input.querySelector('input,select,textarea');
  if (inner && !inner.id) inner.id = id;
  const baseId = (inner && inner.id) || input.id || id;
  const hintEl = hint ? h('div', { class: 'field-hint', id: `${baseId}-hint` }, hint) : null;
  const errEl = h('div', { class: 'field-error', id: `${baseId}-err`, 'aria-live': 'polite' });
  const described = [hintEl && hintEl.id, errEl.id].filter(Boolean).join(' ');
  const labelId = `${baseId}-label`;
  if (inner) inner.setAttribute('aria-describedby', described);
  else { input.setAttribute('aria-labelledby', labelId); input.setAttribute('aria-describedby', described); }
  const req = opts.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null;
  if (inner && opts.required) inner.setAttribute('aria-required', 'true');
  return h('div', { class: ['field', opts.required && 'required', opts.cls] },
    inner
      ? h('label', { class: 'field-label', for: inner.id, id: labelId }, label, req)
      : h('div', { class: 'field-label', id: labelId }, label, req),
    h('div', { class: 'field-control' }, input),
    hintEl, errEl);
}

export function clearFieldErrors(form) {
  if (!form) return;
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  form.querySelectorAll('.field.invalid').forEach((e) => e.classList.remove('invalid'));
  const box = form.querySelector('.form-error');
  if (box) { box.textContent = ''; box.classList.add('hidden'); }
}

export function showFieldErrors(form, err) {
  clearFieldErrors(form);
  if (!err || !err.fields || !form) return false;
  const rest = [];
  let first = null;
  for (const [name, msg] of Object.entries(err.fields)) {
    const base = name.replace(/\[.*$/, '').replace(/\..*$/, '');
    const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/"/g, '\\"'));
    const input = form.querySelector(`[name="${esc(name)}"]`) || form.querySelector(`[name="${esc(base)}"]`)
      || form.querySelector(`[data-field="${esc(base)}"]`);
    const fieldEl = input && input.closest('.field');
    const errEl = fieldEl && fieldEl.querySelector('.field-error');
    if (errEl) {
      const text = fieldMessage(msg);
      errEl.textContent = errEl.textContent ? `${errEl.textContent}；${text}` : text;
      fieldEl.classList.add('invalid');
      if (input.matches('input,select,textarea')) input.setAttribute('aria-invalid', 'true');
      if (!first) first = input;
    } else {
      rest.push(`${name}: ${fieldMessage(msg)}`);
    }
  }
  if (rest.length) {
    const box = form.querySelector('.form-error');
    if (box) { box.textContent = rest.join('；'); box.classList.remove('hidden'); } else toast(rest.join('；'), 'error');
  }
  if (first && first.focus) {
    first.focus({ preventScroll: true });
    (first.closest('.field') || first).scrollIntoView({ block: 'center', behavior: 'smooth' });
  }
  return true;
}

/** A local validation error in the API's shape, so that showFieldErrors can show it; null when none. */
export function localErrors(fields) {
  const f = Object.fromEntries(Object.entries(fields).filter(([, v]) => v));
  return Object.keys(f).length ? new ApiError(422, 'validation_failed', '', f) : null;
}

export function input(attrs) {
  return h('input', { class: 'input', type: 'text', ...attrs });
}

export function counter(el, max) {
  const c = h('span', { class: 'counter muted', 'aria-hidden': 'true' });
  // The input's maxlength cuts what is typed or pasted past the limit without a word: say so,
  // under the field, while it happens (and until the text is shorter again).
  const note = h('div', { class: 'field-limit', role: 'status', 'data-testid': 'limit-note' });
  let cut = false;
  el.addEventListener('paste', (e) => {
    const pasted = (e.clipboardData && e.clipboardData.getData('text')) || '';
    const selected = Math.max(0, (el.selectionEnd ?? 0) - (el.selectionStart ?? 0));
    if ([...el.value].length - selected + [...pasted].length > max) cut = true;
  });
  const upd = () => {
    const n = [...el.value].length;
    c.textContent = `${n}/${max}`;
    c.classList.toggle('over', n > max);
    if (n < max) cut = false;
    const msg = cut ? t('form.limitCut', { max }) : n >= max ? t('form.limitReached', { max }) : '';
    if (msg && !note.isConnected) (el.closest('.field') || el.parentNode)?.append(note);
    if (note.textContent !== msg) note.textContent = msg;
    note.classList.toggle('hidden', !msg);
  };
  el.addEventListener('input', upd);
  upd();
  return c;
}

export function submitBusy(btn, busy, busyText) {
  if (busy) { btn.dataset.label = btn.textContent; btn.textContent = busyText; btn.disabled = true; btn.setAttribute('aria-busy', 'true'); }
  else { btn.textContent = btn.dataset.label || btn.textContent; btn.disabled = false; btn.removeAttribute('aria-busy'); }
}

export function formError(testid) {
  return h('div', { class: 'form-error hidden', role: 'alert', 'data-testid': testid });
}
export function setFormError(box, msg) { box.textContent = msg; box.classList.toggle('hidden', !msg); }
