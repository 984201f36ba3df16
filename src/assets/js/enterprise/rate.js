// enterprise/rate.js — rating the outcome (#/e/tickets/:id/rate, where the "resolved" SMS leads):
// 满意 / 基本满意 / 不满意 with a comment; 不满意 sends the request back for rework.
//
// Test ids (stable, for tests/e2e):
//   rate-satisfied rate-basically-satisfied rate-unsatisfied rate-comment rate-submit
//   rate-error rate-done

import { h, svg } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, counter, submitBusy, formError, setFormError } from '../core/forms.js';
import { errorMessage } from '../core/errors.js';
import { statusTag } from '../core/format.js';
import { may } from '../core/allowed.js';

export async function ratePage(params) {
  const id = params.id;
  const tk = await api('GET', `/tickets/${encodeURIComponent(id)}`);
  const back = `#/e/tickets/${encodeURIComponent(id)}`;
  // A merged request is rated on the result of the request it followed (its last 办结 entry).
  const merged = tk.status === 'merged';
  const resolution = merged ? ((tk.events || []).filter((e) => e.action === 'resolve').pop() || {}).note : tk.resolution;
  const headCard = h('div', { class: 'card card-compact' },
    h('div', { class: 'th-row' }, statusTag(tk.status), h('span', { class: 'muted mono' }, tk.number)),
    h('div', { class: 'strong' }, tk.title),
    resolution ? h('div', { class: 'rate-resolution' }, h('div', { class: 'muted' }, t('detail.result')), h('p', { class: 'pre' }, resolution)) : null);

  // The form only when the server allows this reader a revisit now; else why not, by status.
  if (!may(tk, 'revisit')) {
    const msg = tk.rating && ['closed', 'merged'].includes(tk.status)
      ? t('rate.already', { rating: t(`rating.${tk.rating}`) })
      : ['closed', 'rejected', 'withdrawn'].includes(tk.status)
        ? t('rate.final', { status: t(`status.${tk.status}`) })
        : t('rate.notResolved', { status: t(`status.${tk.status}`) });
    return page({ title: t('rate.title'), back, body: h('div', { class: 'rate' }, headCard,
      h('div', { class: 'state', 'data-testid': 'rate-done' }, h('p', null, msg), h('a', { class: 'btn btn-ghost', href: back }, t('rate.view')))) });
  }

  let rating = null;
  const comment = h('textarea', { class: 'textarea', name: 'comment', rows: '4', maxlength: '2000', placeholder: t('rate.commentPh'), 'data-testid': 'rate-comment' });
  const unsatHint = h('div', { class: 'notice notice-warn hidden', role: 'status' }, icon('alert'), h('span', null, t(merged ? 'rate.unsatHintMerged' : 'rate.unsatHint')));
  const box = formError('rate-error');
  const commentField = field(t('rate.comment'), h('div', { class: 'textarea-wrap' }, comment, counter(comment, 2000)), null, { cls: 'field-stack' });
  const commentLabel = commentField.querySelector('.field-label');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'rate-submit' }, t('rate.submit'));
  const mouths = { satisfied: 'M8 14.5c1 1.6 2.4 2.4 4 2.4s3-.8 4-2.4', basically_satisfied: 'M8.5 15.5h7', unsatisfied: 'M8 16.5c1-1.4 2.4-2.1 4-2.1s3 .7 4 2.1' };
  const face = (r) => svg('svg', { viewBox: '0 0 24 24', class: 'rate-face', 'aria-hidden': 'true', focusable: 'false' },
    svg('circle', { cx: '12', cy: '12', r: '10', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6' }),
    svg('circle', { cx: '8.6', cy: '9.6', r: '1.2', fill: 'currentColor' }),
    svg('circle', { cx: '15.4', cy: '9.6', r: '1.2', fill: 'currentColor' }),
    svg('path', { d: mouths[r], fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6', 'stroke-linecap': 'round' }));
  const choice = h('div', { class: 'rate-options', role: 'radiogroup', 'aria-label': t('rate.question'), 'data-field': 'rating' },
    ['satisfied', 'basically_satisfied', 'unsatisfied'].map((r) => {
      const idr = `rate-${r}`;
      return [
        h('input', { type: 'radio', class: 'sr-only', name: 'rating', id: idr, value: r, 'data-testid': `rate-${r.replace('_', '-')}`,
          onchange: () => {
            rating = r;
            unsatHint.classList.toggle('hidden', r !== 'unsatisfied');
            comment.placeholder = r === 'unsatisfied' ? t('rate.commentPhUnsat') : t('rate.commentPh');
            comment.required = r === 'unsatisfied';
            commentLabel.textContent = r === 'unsatisfied' ? t('rate.reason') : t('rate.comment');
            clearFieldErrors(form);
          } }),
        h('label', { for: idr, class: ['rate-option', `rate-option-${r}`] }, face(r), h('span', null, t(`rating.${r}`))),
      ];
    }));
  const form = h('form', { class: 'form rate', novalidate: true },
    headCard,
    h('div', { class: 'form-cells' },
      h('div', { class: 'field field-stack' },
        h('div', { class: 'field-label' }, t('rate.question')),
        h('div', { class: 'field-control' }, choice),
        h('div', { class: 'field-error', 'aria-live': 'polite' })),
      unsatHint,
      commentField),
    box, h('div', { class: 'form-actions' }, submit));

  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    // 不满意 needs its reason: the department reworks it by what is written here.
    const le = localErrors({ rating: !rating && t('rate.need'), comment: rating === 'unsatisfied' && !comment.value.trim() && t('rate.needReason') });
    if (le) { showFieldErrors(form, le); return; }
    const body = { rating };
    if (comment.value.trim()) body.comment = comment.value;
    sending = true;
    submitBusy(submit, true, t('rate.submitting'));
    try {
      await api('POST', `/tickets/${encodeURIComponent(id)}/revisit`, body);
      toast(rating === 'unsatisfied' && !merged ? t('rate.reopened') : t('rate.thanks'), 'success');
      navigate(back, { replace: true });
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  return page({ title: t('rate.title'), back, body: form });
}
