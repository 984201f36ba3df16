// enterprise/supplement.js — 补充说明 (#/e/tickets/:id/supplement): a comment with photos on one of
// the enterprise's requests, kept as a draft until it is sent.
//
// Test ids (stable, for tests/e2e):
//   supplement-body supplement-uploader (+ -input, -pick, -item, -error…) supplement-submit
//   supplement-closed (instead of the form when allowed_actions has no comment)

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { store } from '../core/store.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, counter, submitBusy, formError, setFormError } from '../core/forms.js';
import { uploader } from '../core/uploader.js';
import { may } from '../core/allowed.js';

export async function supplementPage(params) {
  const id = params.id;
  const tk = await api('GET', `/tickets/${encodeURIComponent(id)}`);
  const back = `#/e/tickets/${encodeURIComponent(id)}`;
  const headCard = h('div', { class: 'card card-compact' }, h('div', { class: 'muted mono' }, tk.number), h('div', { class: 'strong' }, tk.title));
  // The form only while the server allows this reader a comment (not on a closed, rejected or withdrawn request).
  if (!may(tk, 'comment')) {
    return page({ title: t('sup.title'), back, body: h('div', { class: 'form' }, headCard,
      h('div', { class: 'state', 'data-testid': 'supplement-closed' }, h('p', null, t('sup.closed', { status: t(`status.${tk.status}`) })),
        h('a', { class: 'btn btn-ghost', href: back }, t('rate.view')))) });
  }
  const key = `qys.draft.comment.${(session.user() || {}).id}.${id}`;
  const d = store.get(key, {}) || {};
  const text = h('textarea', { class: 'textarea', name: 'body', rows: '6', maxlength: '2000', placeholder: t('sup.bodyPh'), 'data-testid': 'supplement-body' });
  text.value = d.body || '';
  const up = uploader({ max: 9, initial: d.attachments || [], testid: 'supplement-uploader', onChange: () => save() });
  const box = formError('supplement-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'supplement-submit' }, t('sup.submit'));
  const save = () => {
    if (!text.value.trim() && !up.items().length) store.remove(key);
    else store.set(key, { body: text.value, attachments: up.items() });
  };
  const form = h('form', { class: 'form', novalidate: true },
    headCard,
    h('div', { class: 'form-cells' },
      field(t('sup.body'), h('div', { class: 'textarea-wrap' }, text, counter(text, 2000)), null, { required: true, cls: 'field-stack' }),
      field(t('new.attachments'), up.element, null, { cls: 'field-stack' })),
    box, h('div', { class: 'form-actions' }, submit));
  form.addEventListener('input', save);
  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    const le = localErrors({ body: !text.value.trim() ? t('sup.need') : [...text.value].length > 2000 && t('fe.atMost', { n: 2000 }) });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    if (up.busy()) { toast(t('up.busy'), 'warn'); return; }
    if (up.failed() && !(await confirmDialog(t('new.failedUploads', { n: up.failed() })))) return;
    const body = { body: text.value };
    const ids = up.ids();
    if (ids.length) body.attachment_ids = ids;
    sending = true;
    submitBusy(submit, true, t('new.submitting'));
    try {
      await api('POST', `/tickets/${encodeURIComponent(id)}/comments`, body);
      store.remove(key);
      toast(t('sup.success'), 'success');
      navigate(`#/e/tickets/${encodeURIComponent(id)}`, { replace: true });
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  return page({ title: t('sup.title'), back, body: form });
}
