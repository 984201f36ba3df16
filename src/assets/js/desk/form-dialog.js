// desk/form-dialog.js — the modal forms of the staff and admin pages and their inputs.
//
//   formDialog({title, fields, okText, danger, testid, action, submit, wide, onOpen, onCancel,
//               initial, duplicateField}) → Promise<result | null>: submit(form, values) runs on OK;
//               throw to keep the dialog open (field errors under the fields, the rest in its error
//               box); return a value to close with it; null when cancelled.
//   formValues(form) / fillForm(form, values)
//   textArea(name, opts) / textInput(name, opts) / selectInput(name, options, opts) / checkbox(name, label, opts)
//
// Test ids (stable, for tests/e2e):
//   form-dialog (data-action) dialog-ok dialog-cancel form-error

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { showFieldErrors, clearFieldErrors } from '../core/forms.js';
import { localizeFields } from './validation.js';

/** Reads a form's named controls into an object (checkboxes → boolean; several same-named checkboxes → array). */
export function formValues(form) {
  const out = {};
  const groups = new Map();
  for (const el of form.querySelectorAll('input[name],select[name],textarea[name]')) {
    if (el.type === 'checkbox') {
      const same = form.querySelectorAll(`input[type=checkbox][name="${el.name}"]`).length;
      if (same > 1 || el.dataset.multi) {
        if (!groups.has(el.name)) groups.set(el.name, []);
        if (el.checked) groups.get(el.name).push(el.value);
      } else out[el.name] = el.checked;
    } else if (el.type === 'radio') {
      if (el.checked) out[el.name] = el.value;
      else if (!(el.name in out)) out[el.name] = undefined;
    } else out[el.name] = el.value;
  }
  for (const [k, v] of groups) out[k] = v;
  return out;
}

/** Sets a form's controls from an object (for drafts). */
export function fillForm(form, values) {
  for (const [name, v] of Object.entries(values || {})) {
    for (const el of form.querySelectorAll(`[name="${name}"]`)) {
      if (el.type === 'checkbox') el.checked = Array.isArray(v) ? v.includes(el.value) : !!v;
      else if (el.type === 'radio') el.checked = el.value === v;
      else if (v !== undefined && v !== null) el.value = v;
    }
  }
}

/**
 * A modal form. fields: Node or array of Nodes (build them with field()).
 * submit(form, values) runs on OK; throw to keep the dialog open (field errors are shown under the fields,
 * the rest in the form's error box); return a value to close with it. Resolves null when cancelled.
 * opts.onCancel(form) runs when the user cancels (e.g. to keep a draft).
 */
export function formDialog({ title, fields, okText, danger, testid, action, submit, wide, onOpen, onCancel, initial, duplicateField }) {
  return new Promise((resolve) => {
    const formError = h('div', { class: 'form-error hidden', role: 'alert', 'data-testid': 'form-error' });
    const okBtn = h('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], 'data-testid': 'dialog-ok' }, okText || t('common.submit'));
    const cancelBtn = h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'dialog-cancel' }, t('common.cancel'));
    const form = h('form', { class: 'sf-form', novalidate: true },
      h('div', { class: 'sf-dialog-head' }, h('h2', { class: 'sf-dialog-title' }, title)),
      h('div', { class: 'dialog-body sf-dialog-body' }, fields, formError),
      h('div', { class: 'dialog-actions' }, cancelBtn, okBtn));
    const dlg = h('dialog', { class: ['dialog', 'sf-dialog', wide && 'sf-dialog-wide'], 'data-testid': testid || 'form-dialog', 'data-action': action || null, 'aria-label': title }, form);
    let done = false;
    let busy = false;
    const finish = (v, cancelled) => {
      if (done) return;
      done = true;
      if (cancelled && onCancel) { try { onCancel(form); } catch (e) { console.error(e); } }
      if (dlg.open) dlg.close();
      dlg.remove();
      resolve(v);
    };
    cancelBtn.addEventListener('click', () => finish(null, true));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); if (!busy) finish(null, true); });
    dlg.addEventListener('close', () => finish(null, true));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (busy) return;
      clearFieldErrors(form);
      busy = true;
      okBtn.disabled = true; okBtn.classList.add('is-busy');
      try {
        const r = await submit(form, formValues(form));
        finish(r === undefined ? true : r, false);
      } catch (err) {
        if (err && err.closeDialog) { finish(null, false); return; }
        if (err && err.silent) return;
        if (!(err instanceof ApiError)) console.error(err);
        // A taken unique value belongs under its field (the message says which).
        if (err instanceof ApiError && err.code === 'duplicate' && duplicateField) {
          const f = typeof duplicateField === 'function' ? duplicateField(err) : duplicateField;
          if (f && form.querySelector(`[name="${f}"]`)) err = new ApiError(422, 'validation_failed', err.message, { [f]: t('s.taken') });
        }
        if (err instanceof ApiError) localizeFields(err);
        const hadFields = err instanceof ApiError && err.code === 'validation_failed' && showFieldErrors(form, err);
        if (!hadFields) { formError.textContent = errorMessage(err); formError.classList.remove('hidden'); }
      } finally {
        busy = false;
        if (!done) { okBtn.disabled = false; okBtn.classList.remove('is-busy'); }
      }
    });
    if (initial) fillForm(form, initial);
    document.body.appendChild(dlg);
    dlg.showModal();
    if (onOpen) onOpen(form);
    setTimeout(() => {
      const first = form.querySelector('textarea,input:not([type=hidden]):not(.sr-only),select');
      if (first) first.focus();
    }, 0);
  });
}

export function textArea(name, { rows = 4, max, placeholder, testid, value } = {}) {
  return h('textarea', { name, class: 'textarea', rows: String(rows), maxlength: max ? String(max) : null, placeholder: placeholder || null, 'data-testid': testid, value: value || '' });
}
export function textInput(name, { type = 'text', max, placeholder, testid, value, autocomplete, inputmode, min, maxNum } = {}) {
  return h('input', { name, type, class: 'input', maxlength: max ? String(max) : null, placeholder: placeholder || null, 'data-testid': testid, value: value ?? '',
    autocomplete: autocomplete || null, inputmode: inputmode || null, min: min ?? null, max: maxNum ?? null });
}
export function selectInput(name, options, { testid, onchange } = {}) {
  return h('select', { name, class: 'select', 'data-testid': testid, onchange }, options);
}
export function checkbox(name, label, { checked, testid, value } = {}) {
  return h('label', { class: 'sf-check' },
    h('input', { type: 'checkbox', name, checked: !!checked, 'data-testid': testid, value: value ?? 'on' }),
    h('span', null, label));
}
