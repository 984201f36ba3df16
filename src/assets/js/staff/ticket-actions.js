// staff/ticket-actions.js — what each action on a ticket does on the staff pages: its dialog, its
// request (naming the version shown, If-Match), its toast and the reload after it. When someone
// else changed the ticket meanwhile (409/412) the page reloads with 刚被他人处理，已刷新 and keeps
// what was typed for the next try. Which actions a page offers is the server's answer
// (allowed_actions); the ticket page draws the buttons.
//
//   ticketActions({id, ticket(), data(), reload(), gone()}) → {sign, return, progress, extend,
//     resolve, comment, accept, reject, assign, urge, revisit, close, approveExtension(ext),
//     denyExtension(ext), merge(primary?), unmerge}; gone() runs when the ticket left the
//     reader's scope after an action. merge(primary) starts from a similar request chosen.
//
// Test ids (stable, for tests/e2e):
//   form-dialog (data-action=<action>) return-reason reject-reason accept-note
//   progress-note progress-public progress-uploader (+ -input, -item… core/uploader.js)
//   extend-days extend-reason resolve-text resolve-adopted-yes resolve-adopted-no
//   resolve-uploader (+ -input, -item…) comment-body comment-internal urge-note close-reason
//   revisit-rating-satisfied revisit-rating-basically_satisfied revisit-rating-unsatisfied
//   revisit-comment ext-note ext-deny-reason merge-primary merge-reason unmerge-reason

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { field } from '../core/forms.js';
import { segmented } from '../core/controls.js';
import { checkFields } from '../desk/validation.js';
import { uploader } from '../core/uploader.js';
import { formDialog, formValues, textArea, textInput, checkbox } from '../desk/form-dialog.js';
import { StaleError, isConflict } from './conflicts.js';
import { assignDialog } from './assign-dialog.js';
import { loadRouting, routingHint } from './routing-hint.js';

const drafts = new Map(); // `${ticketId}:${action}` → form values kept when a dialog closes without success

export function ticketActions({ id, ticket, data, reload, gone }) {
  // Every ticket action names the version it was decided on: the server refuses it (412) if
  // the ticket changed in between. The extension decisions take no If-Match, so they read the
  // ticket again first (ensureFresh).
  const ifMatch = () => ({ headers: { 'If-Match': `"${ticket().version}"` } });

  async function ensureFresh() {
    const tk = await api('GET', `/tickets/${encodeURIComponent(id)}`);
    if (tk.version !== ticket().version) throw new StaleError();
  }

  async function conflict() {
    toast(t('s.conflict'), 'warn');
    try { await reload(); } catch (e) { toast(errorMessage(e), 'error'); }
  }

  async function simple(action, okMsg, confirmMsg) {
    if (confirmMsg && !(await confirmDialog(confirmMsg, { okText: t(`s.a.${action}`) }))) return;
    try {
      await api('POST', `/tickets/${encodeURIComponent(id)}/${action}`, {}, ifMatch());
      toast(okMsg, 'success');
      await afterAction();
    } catch (err) {
      if (err instanceof StaleError || isConflict(err)) { await conflict(); return; }
      toast(errorMessage(err), 'error');
    }
  }

  async function dialogAction(opts) {
    // Wraps act(): on a stale close, refresh with the conflict message.
    const key = `${id}:${opts.action}`;
    let staleSeen = false;
    const res = await formDialogWithStale({ ...opts, key, onStale: () => { staleSeen = true; } });
    if (staleSeen) { await conflict(); return; }
    if (res === null) return;
    drafts.delete(key);
    toast(opts.okMsg, 'success');
    await afterAction();
  }

  /** Reload after a successful action; a ticket that left the reader's scope (returned, re-assigned) sends them to the list. */
  async function afterAction() {
    try { await reload(); } catch (e) {
      if (e instanceof ApiError && e.status === 404) { gone(); return; }
      toast(errorMessage(e), 'error');
    }
  }

  function formDialogWithStale({ action, title, fields, okText, danger, wide, rules, body: makeBody, path, confirm, onOpen, key, onStale }) {
    return formDialog({
      title, fields, okText: okText || title, danger, wide, action, onOpen,
      initial: drafts.get(key),
      onCancel: (form) => { drafts.set(key, formValues(form)); },
      submit: async (form, values) => {
        if (rules) checkFields(values, typeof rules === 'function' ? rules(values) : rules);
        const payload = makeBody ? makeBody(values, form) : {};
        if (confirm && !(await confirmDialog(confirm, { danger: true }))) {
          throw Object.assign(new Error('cancelled'), { silent: true });
        }
        try {
          if (path) {
            await ensureFresh();
            return await api('POST', path, payload);
          }
          return await api('POST', `/tickets/${encodeURIComponent(id)}/${action}`, payload, ifMatch());
        } catch (err) {
          if (err instanceof StaleError || isConflict(err)) {
            drafts.set(key, values);
            onStale();
            throw new StaleError();
          }
          throw err;
        }
      },
    });
  }

  const doReturn = () => dialogAction({
    action: 'return', title: t('s.d.return.title'), okText: t('s.a.return'), danger: true, okMsg: t('s.ok.return'),
    fields: field(t('s.d.return.reason'), textArea('reason', { max: 2000, testid: 'return-reason', placeholder: t('s.d.return.hint') }), t('s.d.return.hint'), { required: true }),
    rules: { reason: { required: true, max: 2000 } },
    body: (v) => ({ reason: v.reason }),
  });
  /** The photos and documents a progress note or resolution carries; refused while one still uploads. */
  function filesField(testid) {
    const up = uploader({ max: 9, testid });
    return {
      element: field(t('att.title'), up.element, null, { cls: 'field-stack' }),
      ids: () => {
        if (up.busy()) throw new ApiError(422, 'validation_failed', t('up.busy'), { attachment_ids: t('up.busy') });
        const ids = up.ids();
        return ids.length ? { attachment_ids: ids } : {};
      },
    };
  }

  const doProgress = () => {
    const files = filesField('progress-uploader');
    return dialogAction({
      action: 'progress', title: t('s.d.progress.title'), okText: t('common.submit'), okMsg: t('s.ok.progress'),
      fields: [
        field(t('s.d.progress.note'), textArea('note', { max: 2000, testid: 'progress-note' }), null, { required: true }),
        // Starts from the configured default (tickets.progress_public_by_default), which the detail carries.
        h('div', { class: 'field' }, checkbox('public', t('s.d.progress.public'), { testid: 'progress-public', checked: ticket().progress_public_default !== false }), h('div', { class: 'field-hint' }, t('s.d.progress.publicHint')),
          // The enterprises of the requests merged into this one read a public note too.
          (ticket().duplicates || []).length ? h('div', { class: 'field-hint', 'data-testid': 'progress-followers' }, t('s.d.progress.followers', { n: ticket().duplicates.length })) : null),
        files.element,
      ],
      rules: { note: { required: true, max: 2000 } },
      body: (v) => ({ note: v.note, public: !!v.public, ...files.ids() }),
    });
  };
  const doExtend = () => dialogAction({
    action: 'extend', path: `/tickets/${encodeURIComponent(id)}/extensions`, title: t('s.d.extend.title'), okText: t('common.submit'), okMsg: t('s.ok.extend'),
    fields: [
      field(t('s.d.extend.days'), textInput('working_days', { type: 'number', testid: 'extend-days', inputmode: 'numeric', min: '1', maxNum: '30', value: '3' }), t('s.d.extend.daysHint'), { required: true }),
      field(t('s.d.extend.reason'), textArea('reason', { max: 2000, testid: 'extend-reason' }), null, { required: true }),
    ],
    rules: { working_days: { required: true, int: [1, 1000] }, reason: { required: true, max: 2000 } },
    body: (v) => ({ working_days: Number(v.working_days), reason: v.reason }),
  });
  const doResolve = (tk) => {
    const files = filesField('resolve-uploader');
    return dialogAction({
      action: 'resolve', title: t('s.d.resolve.title'), okText: t('s.a.resolve'), okMsg: t('s.ok.resolve'),
      fields: [
        field(t('s.d.resolve.text'), textArea('resolution', { rows: 6, max: 5000, testid: 'resolve-text' }), t('s.d.resolve.hint'), { required: true }),
        tk.kind === 'suggestion' ? field(t('s.d.resolve.adopted'), segmented({ name: 'adopted', value: null, label: t('s.d.resolve.adopted'),
          options: [{ value: 'true', label: t('s.d.resolve.adoptedYes'), testid: 'resolve-adopted-yes' }, { value: 'false', label: t('s.d.resolve.adoptedNo'), testid: 'resolve-adopted-no' }] }), null, { required: true }) : null,
        files.element,
      ],
      rules: { resolution: { required: true, max: 5000 }, ...(tk.kind === 'suggestion' ? { adopted: { required: true } } : {}) },
      body: (v) => ({ ...(tk.kind === 'suggestion' ? { resolution: v.resolution, adopted: v.adopted === 'true' } : { resolution: v.resolution }), ...files.ids() }),
    });
  };
  const doComment = () => dialogAction({
    action: 'comment', path: `/tickets/${encodeURIComponent(id)}/comments`, title: t('s.d.comment.title'), okText: t('common.submit'), okMsg: t('s.ok.comment'),
    fields: [
      field(t('s.d.comment.body'), textArea('body', { max: 2000, testid: 'comment-body' }), null, { required: true }),
      h('div', { class: 'field' }, checkbox('internal', t('s.d.comment.internal'), { testid: 'comment-internal', checked: true })),
    ],
    rules: { body: { required: true, max: 2000 } },
    body: (v) => ({ body: v.body, internal: !!v.internal }),
  });


  // --- dispatcher actions
  // Accepting shows the routing suggestions too: the dispatcher sees where it would go (and
  // whether the enterprise's category looks right) before taking it on.
  const doAccept = async () => {
    const routing = await loadRouting(id);
    return dialogAction({
      action: 'accept', title: t('s.d.accept.title'), okText: t('s.a.accept'), okMsg: t('s.ok.accept'),
      fields: [
        routingHint(routing, { categoryId: ticket().category_id }),
        field(t('s.d.accept.note'), textArea('note', { rows: 3, max: 2000, testid: 'accept-note' }), t('common.optional')),
      ],
      rules: { note: { max: 2000 } },
      body: (v) => (v.note && v.note.trim() ? { note: v.note } : {}),
    });
  };
  const doReject = () => dialogAction({
    action: 'reject', title: t('s.d.reject.title'), okText: t('s.a.reject'), danger: true, okMsg: t('s.ok.reject'),
    fields: field(t('s.d.reject.reason'), textArea('reason', { max: 2000, testid: 'reject-reason' }), t('s.d.reject.hint'), { required: true }),
    rules: { reason: { required: true, max: 2000 } },
    body: (v) => ({ reason: v.reason }),
  });
  const doUrge = () => dialogAction({
    action: 'urge', title: t('s.d.urge.title'), okText: t('s.a.urge'), okMsg: t('s.ok.urge'),
    fields: field(t('s.d.urge.note'), textArea('note', { max: 2000, testid: 'urge-note' }), null, { required: true }),
    rules: { note: { required: true, max: 2000 } },
    body: (v) => ({ note: v.note }),
  });
  const doRevisit = () => {
    const hint = h('div', { class: 'field-hint sf-warn-hint hidden' }, t('s.d.revisit.unsatisfiedHint'));
    return dialogAction({
      action: 'revisit', title: t('s.d.revisit.title'), okText: t('common.submit'), okMsg: t('s.ok.revisit'),
      fields: [
        field(t('s.d.revisit.rating'), segmented({ name: 'rating', value: null, label: t('s.d.revisit.rating'),
          options: ['satisfied', 'basically_satisfied', 'unsatisfied'].map((r) => ({ value: r, label: t(`rating.${r}`), testid: `revisit-rating-${r}` })),
          onChange: (v) => hint.classList.toggle('hidden', v !== 'unsatisfied') }), null, { required: true }),
        hint,
        field(t('s.d.revisit.comment'), textArea('comment', { rows: 3, max: 2000, testid: 'revisit-comment' }), t('s.d.revisit.commentHint')),
      ],
      // 不满意 needs its reason: the rework reads it (the server refuses it without one too).
      rules: (v) => ({ rating: { required: true }, comment: { max: 2000, required: v.rating === 'unsatisfied' } }),
      body: (v) => (v.comment && v.comment.trim() ? { rating: v.rating, comment: v.comment } : { rating: v.rating }),
    });
  };
  const doClose = () => dialogAction({
    action: 'close', title: t('s.d.close.title'), okText: t('s.a.close'), danger: true, okMsg: t('s.ok.close'),
    fields: field(t('s.d.close.reason'), textArea('reason', { rows: 3, max: 2000, testid: 'close-reason' }), t('s.d.close.hint'), { required: true }),
    rules: { reason: { required: true, max: 2000 } },
    confirm: t('s.d.close.confirm'),
    body: (v) => ({ reason: v.reason }),
  });
  const doApprove = (ext) => dialogAction({
    action: `approve-${ext.id}`, path: `/tickets/${encodeURIComponent(id)}/extensions/${encodeURIComponent(ext.id)}/approve`,
    title: t('s.d.approve.title'), okText: t('s.a.approveExt'), okMsg: t('s.ok.approveExt'),
    fields: [
      h('p', { class: 'sf-dialog-lead' }, t('s.ext.line', { days: ext.working_days }), ext.reason ? ` — ${ext.reason}` : ''),
      field(t('s.d.approve.note'), textArea('note', { rows: 3, max: 2000, testid: 'ext-note' }), t('common.optional')),
    ],
    rules: { note: { max: 2000 } },
    body: (v) => (v.note && v.note.trim() ? { note: v.note } : {}),
  });
  const doDeny = (ext) => dialogAction({
    action: `deny-${ext.id}`, path: `/tickets/${encodeURIComponent(id)}/extensions/${encodeURIComponent(ext.id)}/deny`,
    title: t('s.d.deny.title'), okText: t('s.a.denyExt'), danger: true, okMsg: t('s.ok.denyExt'),
    fields: [
      h('p', { class: 'sf-dialog-lead' }, t('s.ext.line', { days: ext.working_days }), ext.reason ? ` — ${ext.reason}` : ''),
      field(t('s.d.deny.reason'), textArea('reason', { rows: 3, max: 2000, testid: 'ext-deny-reason' }), null, { required: true }),
    ],
    rules: { reason: { required: true, max: 2000 } },
    body: (v) => ({ reason: v.reason }),
  });

  // 合并办理: the primary by number (or chosen from the similar requests), and the reason the
  // enterprise reads. The server says why a primary will not do (merge_refused).
  const doMerge = (primary) => {
    if (primary && primary.number) drafts.delete(`${id}:merge`);
    return dialogAction({
      action: 'merge', title: t('s.d.merge.title'), okText: t('s.a.merge'), okMsg: t('s.ok.merge'),
      fields: [
        h('p', { class: 'sf-dialog-lead' }, t('s.d.merge.lead')),
        field(t('s.d.merge.primary'), textInput('primary', { max: 100, testid: 'merge-primary', value: primary && primary.number ? primary.number : '', placeholder: 'QYS20261201000001' }), t('s.d.merge.primaryHint'), { required: true }),
        field(t('s.d.merge.reason'), textArea('reason', { rows: 3, max: 2000, testid: 'merge-reason',
          value: primary && primary.number ? t('s.d.merge.reasonDefault', { number: primary.number }) : '' }), t('s.d.merge.reasonHint'), { required: true }),
      ],
      rules: { primary: { required: true, max: 100 }, reason: { required: true, max: 2000 } },
      body: (v) => ({ primary: v.primary.trim(), reason: v.reason }),
    });
  };
  const doUnmerge = () => dialogAction({
    action: 'unmerge', title: t('s.d.unmerge.title'), okText: t('s.a.unmerge'), okMsg: t('s.ok.unmerge'),
    fields: field(t('s.d.unmerge.reason'), textArea('reason', { rows: 3, max: 2000, testid: 'unmerge-reason' }), t('s.d.unmerge.hint'), { required: true }),
    rules: { reason: { required: true, max: 2000 } },
    body: (v) => ({ reason: v.reason }),
  });

  async function doAssign() {
    const { depts, category } = data();
    const routing = await loadRouting(id);
    const res = await assignDialog({ id, ticket: ticket(), depts, category, routing, ifMatch });
    if (res && res.stale) { await conflict(); return; }
    if (res === null) return;
    toast(t('s.ok.assign'), 'success');
    await afterAction();
  }

  return {
    sign: () => simple('sign', t('s.ok.sign'), t('s.confirm.sign')),
    return: doReturn,
    progress: doProgress,
    extend: doExtend,
    resolve: () => doResolve(ticket()),
    comment: doComment,
    accept: doAccept,
    reject: doReject,
    assign: doAssign,
    urge: doUrge,
    revisit: doRevisit,
    close: doClose,
    approveExtension: doApprove,
    denyExtension: doDeny,
    merge: doMerge,
    unmerge: doUnmerge,
  };
}
