// enterprise/policy-forms.js — applying for a policy (#/e/policies/:id/apply: the statement and
// the amount asked for, in yuan, sent in fen) and asking about one (#/e/policies/:id/ask: an
// inquiry the department answers, opened as a request). Each is kept as a draft until sent;
// each shows instead of its form why it cannot be sent when the policy's `allowed` has not
// the action.
//
// Test ids (stable, for tests/e2e):
//   apply-policy apply-may-fit apply-statement apply-amount apply-submit apply-error apply-closed
//   ask-policy ask-description ask-contact-name ask-contact-phone ask-submit ask-error ask-closed

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { store } from '../core/store.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session, DRAFT_PREFIX } from '../core/session.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, input, counter, submitBusy, formError, setFormError } from '../core/forms.js';
import { benefitLine, criteriaList, yuanToFen } from './policy-shared.js';

const MAX_STATEMENT = 5000;
/** The most an amount may be: ten billion yuan (the server's MAX_FEN). */
const MAX_FEN = 1_000_000_000_000;

function headCard(p, testid) {
  return h('div', { class: 'card card-compact', 'data-testid': testid },
    h('div', { class: 'strong ep-form-title' }, p.title),
    benefitLine(p.benefit, `${testid}-benefit`));
}

function closed(title, back, p, testid, text) {
  return page({ title, back, body: h('div', { class: 'form' }, headCard(p, testid.replace(/-closed$/, '-policy')),
    h('div', { class: 'state', 'data-testid': testid }, h('p', null, text),
      h('a', { class: 'btn btn-ghost', href: back }, t('ep.detail')))) });
}

function draft(kind, policyId) {
  return `${DRAFT_PREFIX}${kind}.${(session.user() || {}).id}.${policyId}`;
}

export async function applyPage(params) {
  const id = params.id;
  const p = await api('GET', `/policies/${encodeURIComponent(id)}`);
  const back = `#/e/policies/${encodeURIComponent(id)}`;
  const standing = p.standing || {};
  const app = standing.application;
  if (app && app.status !== 'refused') return closed(t('ep.applyTitle'), back, p, 'apply-closed', t('ep.applyExists'));
  if (!(p.allowed || []).includes('apply') || standing.fit === 'no') {
    return closed(t('ep.applyTitle'), back, p, 'apply-closed', p.free_grant ? t('ep.freeGrantNotice') : t('ep.applyClosed'));
  }

  const key = draft('apply', id);
  const d = store.get(key, {}) || {};
  const statement = h('textarea', { class: 'textarea', name: 'statement', rows: '6', maxlength: String(MAX_STATEMENT), placeholder: t('ep.statementPh'), 'data-testid': 'apply-statement' });
  statement.value = d.statement || '';
  const amount = input({ name: 'requested_fen', inputmode: 'decimal', placeholder: t('ep.amountPh'), maxlength: '20', autocomplete: 'off', 'data-testid': 'apply-amount' });
  amount.value = d.amount || '';
  const box = formError('apply-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'apply-submit' }, t('ep.applySubmit'));
  const save = () => {
    if (!statement.value.trim() && !amount.value.trim()) store.remove(key);
    else store.set(key, { statement: statement.value, amount: amount.value });
  };

  const form = h('form', { class: 'form', novalidate: true },
    headCard(p, 'apply-policy'),
    standing.fit === 'may_fit' ? h('div', { class: 'notice notice-warn', 'data-testid': 'apply-may-fit' }, h('span', null, t('ep.applyMayFit', { list: criteriaList(standing.unknown) }))) : null,
    h('div', { class: 'form-cells' },
      field(t('ep.statement'), h('div', { class: 'textarea-wrap' }, statement, counter(statement, MAX_STATEMENT)), null, { required: true, cls: 'field-stack' }),
      field(t('ep.amount'), amount, t('ep.amountHint'), { cls: 'field-stack' })),
    h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, t('ep.how')),
      p.how_to_apply ? h('p', { class: 'pre' }, p.how_to_apply) : null,
      h('p', { class: 'muted ep-small' }, t('ep.applyMaterials'))),
    box,
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('input', save);

  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    const fen = yuanToFen(amount.value);
    const le = localErrors({
      statement: !statement.value.trim() ? t('ep.statementNeed') : [...statement.value].length > MAX_STATEMENT && t('fe.atMost', { n: MAX_STATEMENT }),
      requested_fen: Number.isNaN(fen) ? t('ep.amountBad') : fen !== null && fen > MAX_FEN && t('ep.amountTooMuch'),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    const body = { statement: statement.value.trim() };
    if (fen !== null) body.requested_fen = fen;
    sending = true;
    submitBusy(submit, true, t('new.submitting'));
    try {
      const a = await api('POST', `/policies/${encodeURIComponent(id)}/applications`, body);
      store.remove(key);
      toast(t('ep.applySuccess'), 'success');
      navigate(`#/e/applications/${encodeURIComponent(a.id)}?created=1`, { replace: true });
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (err.status === 409) {
        setFormError(box, err.code === 'application_exists' ? t('ep.applyExists') : t('ep.applyClosed'));
      } else {
        if (err.status === 422 && err.fields) showFieldErrors(form, err);
        setFormError(box, errorMessage(err));
      }
    }
  });
  return page({ title: t('ep.applyTitle'), back, body: form });
}

export async function askPage(params) {
  const id = params.id;
  const [p, me] = await Promise.all([
    api('GET', `/policies/${encodeURIComponent(id)}`),
    api('GET', '/me').then((u) => { session.setUser(u); return u; }).catch(() => session.user() || {}),
  ]);
  const back = `#/e/policies/${encodeURIComponent(id)}`;
  if (!(p.allowed || []).includes('ask')) return closed(t('ep.askTitle'), back, p, 'ask-closed', t('ep.notInForce'));

  const key = draft('ask', id);
  const d = store.get(key, {}) || {};
  const text = h('textarea', { class: 'textarea', name: 'description', rows: '6', maxlength: String(MAX_STATEMENT), placeholder: t('ep.questionPh'), 'data-testid': 'ask-description' });
  text.value = d.description || '';
  const cname = input({ name: 'contact_name', placeholder: t('reg.contactNamePh'), maxlength: '100', autocomplete: 'name', 'data-testid': 'ask-contact-name' });
  cname.value = d.contact_name !== undefined ? d.contact_name : (me.name || '');
  const cphone = input({ name: 'contact_phone', type: 'tel', placeholder: t('new.contactPhonePh'), maxlength: '30', autocomplete: 'tel', 'data-testid': 'ask-contact-phone' });
  cphone.value = d.contact_phone !== undefined ? d.contact_phone : (me.phone || '');
  const box = formError('ask-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'ask-submit' }, t('ep.askSubmit'));
  const save = () => {
    if (!text.value.trim()) store.remove(key);
    else store.set(key, { description: text.value, contact_name: cname.value, contact_phone: cphone.value });
  };

  const form = h('form', { class: 'form', novalidate: true },
    headCard(p, 'ask-policy'),
    h('div', { class: 'form-cells' },
      field(t('ep.question'), h('div', { class: 'textarea-wrap' }, text, counter(text, MAX_STATEMENT)), null, { required: true, cls: 'field-stack' })),
    h('div', { class: 'form-cells' },
      h('h2', { class: 'cells-title' }, t('new.contact')),
      field(t('new.contactName'), cname),
      field(t('new.contactPhone'), cphone, t('new.contactHint'))),
    h('p', { class: 'form-intro muted' }, t('ep.askHint')),
    box,
    h('div', { class: 'form-actions' }, submit));
  form.addEventListener('input', save);

  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    const le = localErrors({
      description: !text.value.trim() ? t('ep.questionNeed') : [...text.value].length > MAX_STATEMENT && t('fe.atMost', { n: MAX_STATEMENT }),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    const body = { description: text.value.trim() };
    if (cname.value.trim()) body.contact_name = cname.value.trim();
    if (cphone.value.trim()) body.contact_phone = cphone.value.trim();
    sending = true;
    submitBusy(submit, true, t('new.submitting'));
    try {
      const tk = await api('POST', `/policies/${encodeURIComponent(id)}/questions`, body);
      store.remove(key);
      toast(t('ep.askSuccess'), 'success');
      navigate(`#/e/tickets/${encodeURIComponent(tk.id)}?created=1`, { replace: true });
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (err.status === 422 && err.fields) showFieldErrors(form, err);
      setFormError(box, errorMessage(err));
    }
  });
  return page({ title: t('ep.askTitle'), back, body: form });
}
