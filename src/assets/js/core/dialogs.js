// core/dialogs.js — modal dialogs on <dialog>: openDialog(build) (build(dlg, finish) fills it),
// confirmDialog(msg, {okText, cancelText, danger}?) → Promise<boolean>, and
// promptDialog(msg, {multiline, placeholder, value, required, maxLength, okText, danger}?) →
// Promise<string|null> (null: cancelled). Form dialogs of the desks: desk/form-dialog.js.
//
// Test ids (stable, for tests/e2e):
//   dialog dialog-ok dialog-cancel dialog-input

import { h } from './dom.js';
import { t } from './i18n.js';
import { uuid } from './store.js';

export function openDialog(build) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'dialog', 'data-testid': 'dialog' });
    let done = false;
    const finish = (v) => { if (done) return; done = true; resolve(v); if (dlg.open) dlg.close(); dlg.remove(); };
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(null); });
    dlg.addEventListener('close', () => finish(null));
    build(dlg, finish);
    document.body.appendChild(dlg);
    dlg.showModal();
  });
}

export function confirmDialog(msg, opts = {}) {
  return openDialog((dlg, finish) => {
    dlg.append(
      h('div', { class: 'dialog-body' }, h('p', { class: 'dialog-msg' }, String(msg))),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'dialog-cancel', onclick: () => finish(false) }, opts.cancelText || t('common.cancel')),
        h('button', { type: 'button', class: ['btn', opts.danger ? 'btn-danger' : 'btn-primary'], 'data-testid': 'dialog-ok', onclick: () => finish(true), autofocus: true }, opts.okText || t('common.ok'))));
  }).then((v) => v === true);
}

export function promptDialog(msg, opts = {}) {
  return openDialog((dlg, finish) => {
    const id = `dlg-${uuid().slice(0, 8)}`;
    const input = opts.multiline
      ? h('textarea', { id, class: 'textarea', rows: '4', placeholder: opts.placeholder || t('dlg.prompt'), maxlength: opts.maxLength ? String(opts.maxLength) : null, 'data-testid': 'dialog-input' })
      : h('input', { id, class: 'input', type: 'text', placeholder: opts.placeholder || t('dlg.prompt'), maxlength: opts.maxLength ? String(opts.maxLength) : null, 'data-testid': 'dialog-input' });
    if (opts.value) input.value = opts.value;
    const err = h('div', { class: 'field-error', role: 'alert' });
    const ok = () => {
      const v = input.value;
      if (opts.required && !v.trim()) { err.textContent = t('dlg.requiredText'); input.focus(); return; }
      finish(v);
    };
    if (!opts.multiline) input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); ok(); } });
    dlg.append(
      h('div', { class: 'dialog-body' }, h('label', { class: 'dialog-msg', for: id }, String(msg)), input, err),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'dialog-cancel', onclick: () => finish(null) }, t('common.cancel')),
        h('button', { type: 'button', class: ['btn', opts.danger ? 'btn-danger' : 'btn-primary'], 'data-testid': 'dialog-ok', onclick: ok }, opts.okText || t('common.ok'))));
    setTimeout(() => input.focus(), 0);
  });
}
