// desk/bulletin-edit.js — an administrator's review of a weekly bulletin's draft, above its
// document on #/bulletins/:id: the foreword, the typical cases (典型案例: a request's number and a
// note, added and removed), 保存草稿, 重新统计 (the figures counted again now) and 发布 (with the
// issue number, default the year's next). Every write sends the draft's version; when someone
// else changed it first, the page says so and reloads.
//
// Test ids (stable, for tests/e2e):
//   bulletin-editor bulletin-foreword-input bulletin-case-row bulletin-case-ticket
//   bulletin-case-note bulletin-case-remove bulletin-case-add bulletin-save bulletin-recount
//   bulletin-publish bulletin-publish-number bulletin-editor-error

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { field, formError, setFormError, showFieldErrors, clearFieldErrors } from '../core/forms.js';
import { formDialog, textInput } from './form-dialog.js';

/** The editor of draft `b`; `reload()` draws the page again after each write. */
export function draftEditor(b, reload) {
  const path = `/bulletins/${encodeURIComponent(b.id)}`;
  const foreword = h('textarea', { name: 'foreword', class: 'textarea', rows: '4', maxlength: '5000', 'data-testid': 'bulletin-foreword-input', value: b.foreword || '' });
  const rows = h('div', { class: 'bl-cases' });
  const addRow = (c = {}) => {
    const row = h('div', { class: 'bl-case-row', 'data-testid': 'bulletin-case-row' },
      h('input', { class: 'input', name: 'ticket', 'aria-label': t('bl.caseTicket'), placeholder: t('bl.caseTicket'), value: c.number || '', maxlength: '100', 'data-testid': 'bulletin-case-ticket' }),
      h('textarea', { class: 'textarea', name: 'note', rows: '2', 'aria-label': t('bl.caseNote'), placeholder: t('bl.caseNote'), maxlength: '2000', value: c.note || '', 'data-testid': 'bulletin-case-note' }),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'bulletin-case-remove', onclick: () => row.remove() }, t('bl.caseRemove')));
    rows.appendChild(row);
  };
  (b.cases || []).forEach(addRow);
  const error = formError('bulletin-editor-error');
  const form = h('form', { class: 'bl-editor card no-print', 'data-testid': 'bulletin-editor', onsubmit: (e) => e.preventDefault() },
    field(t('bl.foreword'), foreword, t('bl.forewordHint')),
    h('div', { class: 'field' },
      h('div', { class: 'field-label' }, t('bl.cases')),
      h('div', { class: 'field-hint' }, t('bl.casesHint')),
      rows,
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'bulletin-case-add', onclick: () => addRow() }, icon('plus'), t('bl.caseAdd'))),
    error);

  const cases = () => [...rows.querySelectorAll('.bl-case-row')]
    .map((r) => ({ ticket: r.querySelector('[name=ticket]').value.trim(), note: r.querySelector('[name=note]').value.trim() }))
    .filter((c) => c.ticket || c.note);

  /** Runs a write; a stale version reloads, a field error is shown where it belongs. */
  const write = async (button, run, done) => {
    button.disabled = true;
    clearFieldErrors(form);
    setFormError(error, '');
    try {
      const r = await run();
      if (done) toast(done(r), 'success');
      await reload();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'concurrent_update') { toast(t('bl.changed'), 'error'); await reload(); return; }
      showFieldErrors(form, err);
      setFormError(error, errorMessage(err));
    } finally { button.disabled = false; }
  };
  const save = (e) => write(e.currentTarget, () => api('PATCH', path, { version: b.version, foreword: foreword.value, cases: cases() }), () => t('bl.saved'));
  const recount = (e) => write(e.currentTarget, () => api('PATCH', path, { version: b.version, foreword: foreword.value, cases: cases(), recount: true }), () => t('bl.recounted'));
  const publish = async () => {
    // What is on the form is saved first, so that what is published is what the page shows.
    let saved;
    try {
      saved = await api('PATCH', path, { version: b.version, foreword: foreword.value, cases: cases() });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'concurrent_update') { toast(t('bl.changed'), 'error'); await reload(); return; }
      showFieldErrors(form, err);
      setFormError(error, errorMessage(err));
      return;
    }
    const r = await formDialog({
      title: t('bl.publishTitle'), okText: t('bl.publish'), action: 'bulletin-publish-submit',
      fields: [field(t('bl.publishNumber'), textInput('number', { type: 'number', min: 1, maxNum: 9999, testid: 'bulletin-publish-number', inputmode: 'numeric' }), t('bl.publishNumberHint'))],
      submit: async (f, values) => api('POST', `${path}/publish`, values.number ? { version: saved.version, number: Number(values.number) } : { version: saved.version }),
    });
    if (r) toast(t('bl.publishedToast', { issue: r.issue }), 'success');
    await reload();
  };
  form.appendChild(h('div', { class: 'btn-row bl-editor-actions' },
    h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'bulletin-save', onclick: save }, t('bl.save')),
    h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'bulletin-recount', onclick: recount }, icon('refresh'), t('bl.recount')),
    h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'bulletin-publish', onclick: () => publish() }, t('bl.publish'))));
  return form;
}
