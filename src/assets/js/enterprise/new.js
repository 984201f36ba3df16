// enterprise/new.js — filing a request (#/e/new): kind, category, title, description, photos and
// the contact. Kept as a draft in localStorage on every keystroke (with its uploaded photos and
// its Idempotency-Key) and offered back; cleared once the filing is answered 201.
//
// Test ids (stable, for tests/e2e):
//   kind-problem kind-suggestion kind-inquiry ticket-category ticket-title
//   ticket-description ticket-contact-name ticket-contact-phone uploader (core/uploader.js)
//   draft-restored draft-discard file-submit file-error similar-hint similar-hint-item

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { store, uuid } from '../core/store.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session, DRAFT_PREFIX } from '../core/session.js';
import { navigate, refresh } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, input, counter, submitBusy, formError, setFormError } from '../core/forms.js';
import { segmented } from '../core/controls.js';
import { fmtDateTime, statusTag } from '../core/format.js';
import { uploader } from '../core/uploader.js';
import { categories } from './tickets.js';

function draftKey() { const u = session.user(); return `${DRAFT_PREFIX}ticket.${u ? u.id : 'anon'}`; }

export async function newPage() {
  const [cats, me] = await Promise.all([
    categories(),
    api('GET', '/me').then((u) => { session.setUser(u); return u; }).catch(() => session.user() || {}),
  ]);
  const key = draftKey();
  const saved = store.get(key, null);
  const d = saved || {};
  let idem = d.idem || uuid();
  let idemBody = d.idemBody || null;

  let kind = d.kind || 'problem';
  const kindHint = h('span');
  const setKindHint = () => { kindHint.textContent = t({ problem: 'new.hintProblem', suggestion: 'new.hintSuggestion', inquiry: 'new.hintInquiry' }[kind]); };
  setKindHint();
  const kindSeg = segmented({
    name: 'kind', label: t('new.kind'), value: kind,
    options: ['problem', 'suggestion', 'inquiry'].map((k) => ({ value: k, label: t(`kind.${k}`), testid: `kind-${k}` })),
    onChange: (v) => { kind = v; setKindHint(); save(); },
  });

  const catSel = h('select', { class: 'select', name: 'category_id', required: true, 'data-testid': 'ticket-category' },
    h('option', { value: '' }, cats.length ? t('new.categoryPh') : t('new.noCategories')),
    cats.map((c) => h('option', { value: c.id }, c.name)));
  if (d.category_id && cats.some((c) => c.id === d.category_id)) catSel.value = d.category_id;

  const title = input({ name: 'title', placeholder: t('new.titlePh'), maxlength: '100', 'data-testid': 'ticket-title' });
  title.value = d.title || '';
  const desc = h('textarea', { class: 'textarea', name: 'description', rows: '6', placeholder: t('new.descPh'), maxlength: '5000', 'data-testid': 'ticket-description' });
  desc.value = d.description || '';
  const cname = input({ name: 'contact_name', placeholder: t('reg.contactNamePh'), maxlength: '100', autocomplete: 'name', 'data-testid': 'ticket-contact-name' });
  cname.value = d.contact_name !== undefined ? d.contact_name : (me.name || '');
  const cphone = input({ name: 'contact_phone', type: 'tel', placeholder: t('new.contactPhonePh'), maxlength: '30', autocomplete: 'tel', 'data-testid': 'ticket-contact-phone' });
  cphone.value = d.contact_phone !== undefined ? d.contact_phone : (me.phone || '');

  const up = uploader({ max: 9, initial: d.attachments || [], onChange: () => save() });
  const box = formError('file-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'file-submit' }, t('new.submit'));

  function current() {
    return { kind, category_id: catSel.value, title: title.value, description: desc.value, contact_name: cname.value, contact_phone: cphone.value, attachments: up.items() };
  }
  function save() {
    const c = current();
    const meaningful = c.title.trim() || c.description.trim() || c.category_id || c.attachments.length;
    if (!meaningful) { store.remove(key); return; }
    store.set(key, { ...c, idem, idemBody, saved_at: new Date().toISOString() });
  }

  let banner = null;
  const hasDraft = saved && (saved.title || saved.description || saved.category_id || (saved.attachments || []).length);
  if (hasDraft) {
    banner = h('div', { class: 'notice notice-info', 'data-testid': 'draft-restored', role: 'status' },
      icon('refresh'), h('span', null, t('new.draftRestored', { time: fmtDateTime(saved.saved_at) })),
      h('button', { type: 'button', class: 'link', 'data-testid': 'draft-discard', onclick: async () => {
        if (!(await confirmDialog(t('new.draftDiscardConfirm'), { danger: true }))) return;
        store.remove(key);
        refresh();
      } }, t('new.draftDiscard')));
  }

  const form = h('form', { class: 'form', novalidate: true },
    banner,
    h('div', { class: 'form-cells' },
      field(t('new.kind'), kindSeg, kindHint, { required: true, cls: 'field-stack' }),
      field(t('new.category'), catSel, null, { required: true })),
    h('div', { class: 'form-cells' },
      field(t('new.titleLabel'), title, null, { required: true, cls: 'field-stack' }),
      field(t('new.desc'), h('div', { class: 'textarea-wrap' }, desc, counter(desc, 5000)), null, { required: true, cls: 'field-stack' })),
    h('div', { class: 'form-cells' },
      field(t('new.attachments'), up.element, null, { cls: 'field-stack' })),
    h('div', { class: 'form-cells' },
      h('h2', { class: 'cells-title' }, t('new.contact')),
      field(t('new.contactName'), cname),
      field(t('new.contactPhone'), cphone, t('new.contactHint'))),
    box,
    h('div', { class: 'form-actions' }, submit));

  title.after(counter(title, 100));
  // 您已反映过类似问题: the enterprise's own open requests that say what it is typing (never
  // another enterprise's), asked a moment after the typing stops; the newest answer wins.
  const hint = h('div', { class: 'notice notice-info similar-hint hidden', 'data-testid': 'similar-hint', role: 'status', 'aria-live': 'polite' });
  desc.closest('.form-cells').after(hint);
  let hintSeq = 0;
  let hintTimer = null;
  const askSimilar = () => {
    clearTimeout(hintTimer);
    hintTimer = setTimeout(async () => {
      // The page was left meanwhile (and perhaps the session ended): nothing to hint on.
      if (!form.isConnected) return;
      const seq = ++hintSeq;
      const tt = title.value.trim();
      const dd = [...desc.value.trim()].slice(0, 1000).join('');
      if ([...tt].length + [...dd].length < 4) { hint.classList.add('hidden'); return; }
      const q = new URLSearchParams({ title: [...tt].slice(0, 100).join(''), description: dd, limit: '3' });
      let found = [];
      // Two shared words at least: one (园区, 企业) says little about being the same problem.
      try { found = ((await api('GET', `/tickets/similar?${q}`)).items || []).filter((x) => (x.shared_words || []).length >= 2); } catch { found = []; }
      if (seq !== hintSeq) return;
      hint.replaceChildren(
        h('div', { class: 'strong' }, t('new.similarTitle')),
        h('ul', { class: 'similar-hint-list' }, found.map((x) => h('li', null,
          h('a', { href: `#/e/tickets/${encodeURIComponent(x.id)}`, 'data-testid': 'similar-hint-item' }, statusTag(x.status), ' ', x.title)))),
        h('div', { class: 'muted' }, t('new.similarHint')));
      hint.classList.toggle('hidden', !found.length);
    }, 600);
  };
  title.addEventListener('input', askSimilar);
  desc.addEventListener('input', askSimilar);
  if (title.value || desc.value) askSimilar();
  form.addEventListener('input', save);
  form.addEventListener('change', save);

  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    const c = current();
    const le = localErrors({
      category_id: !c.category_id && t('new.needCategory'),
      title: !c.title.trim() ? t('new.needTitle') : [...c.title].length > 100 && t('fe.atMost', { n: 100 }),
      description: !c.description.trim() ? t('new.needDesc') : [...c.description].length > 5000 && t('fe.atMost', { n: 5000 }),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    if (up.busy()) { toast(t('up.busy'), 'warn'); return; }
    if (up.failed() && !(await confirmDialog(t('new.failedUploads', { n: up.failed() })))) return;

    const body = { kind: c.kind, category_id: c.category_id, title: c.title, description: c.description };
    if (c.contact_name.trim()) body.contact_name = c.contact_name.trim();
    if (c.contact_phone.trim()) body.contact_phone = c.contact_phone.trim();
    const ids = up.ids();
    if (ids.length) body.attachment_ids = ids;
    const bodyJson = JSON.stringify(body);
    // The key stands for this body: a changed body after an unanswered attempt gets a new key.
    if (idemBody && idemBody !== bodyJson) idem = uuid();
    idemBody = bodyJson;
    save();

    sending = true;
    submitBusy(submit, true, t('new.submitting'));
    try {
      let tk;
      try {
        tk = await api('POST', '/tickets', body, { headers: { 'Idempotency-Key': idem } });
      } catch (err) {
        if (err.code !== 'idempotency_key_reused') throw err;
        idem = uuid(); idemBody = bodyJson; save();
        tk = await api('POST', '/tickets', body, { headers: { 'Idempotency-Key': idem } });
      }
      store.remove(key);
      toast(t('new.success'), 'success');
      navigate(`#/e/tickets/${encodeURIComponent(tk.id)}?created=1`, { replace: true });
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (err.status === 422 && err.fields) {
        // Nothing was filed: the next attempt may reuse the key only with the same body.
        showFieldErrors(form, err);
        setFormError(box, errorMessage(err));
      } else {
        setFormError(box, errorMessage(err));
        box.scrollIntoView({ block: 'center', behavior: 'smooth' });
      }
    }
  });

  return page({ title: t('new.title'), back: '#/e', body: form });
}
