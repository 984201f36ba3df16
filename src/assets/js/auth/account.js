// auth/account.js — the pages of accounts people manage themselves:
//   #/legal       the user agreement and privacy policy in force (anyone; ?doc=privacy);
//   #/consent     accepting a new version of them: an enterprise user is sent here after signing
//                 in until they do (the API answers nothing else: 403 consent_required);
//   #/phone       changing one's phone number with a code sent to the new one (every role);
//   #/members     an enterprise's users, for its manager: invite a colleague by phone, disable
//                 or enable one, hand the management over; and the requests to join waiting;
//   #/join-requests  the requests to join waiting, for dispatchers and administrators;
//   #/legal-edit  publishing a new version of the texts (administrators).
//
// Test ids (stable, for tests/e2e):
//   legal-terms legal-privacy legal-version consent-accept consent-check consent-signout
//   phone-new phone-code phone-submit phone-error member-row member-manager member-disabled
//   member-disable member-enable member-handover invite-phone invite-name invite-submit
//   invite-error join-row join-approve join-reject legal-edit-terms legal-edit-privacy
//   legal-edit-note legal-edit-submit legal-edit-error

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t, addStrings } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session, homeOf } from '../core/session.js';
import { navigate, afterSignIn, refresh } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { confirmDialog, promptDialog } from '../core/dialogs.js';
import { empty } from '../core/states.js';
import { fmtDateTime } from '../core/format.js';
import { field, showFieldErrors, clearFieldErrors, localErrors, input, submitBusy, formError, setFormError } from '../core/forms.js';
import { normPhone, phoneOk } from './common.js';
import * as strings from '../strings/auth.js';

addStrings(strings.zh, strings.en);

/** Plain text as paragraphs (the texts are plain text, one paragraph a line). */
function paragraphs(text, testid) {
  return h('div', { class: 'legal-text', 'data-testid': testid },
    String(text || '').split('\n').filter((l) => l.trim()).map((l) => h('p', null, l)));
}

export async function legalPage(_params, query) {
  const version = query && /^\d+$/.test(query.version || '') ? `?version=${query.version}` : '';
  const doc = await api('GET', `/legal${version}`, null, { auth: false });
  const privacyFirst = query && query.doc === 'privacy';
  const terms = h('section', { class: 'card legal-doc', id: 'terms' }, h('h2', null, t('legal.terms')), paragraphs(doc.terms, 'legal-terms'));
  const privacy = h('section', { class: 'card legal-doc', id: 'privacy' }, h('h2', null, t('legal.privacy')), paragraphs(doc.privacy, 'legal-privacy'));
  const body = h('div', { class: 'legal' },
    h('p', { class: 'muted', 'data-testid': 'legal-version' }, t('legal.version', { n: doc.version, date: fmtDateTime(doc.published_at) })),
    privacyFirst ? [privacy, terms] : [terms, privacy]);
  return page({ title: t('legal.title'), back: true, body });
}

export async function consentPage() {
  const doc = await api('GET', '/legal', null, { auth: false });
  const user = session.user();
  const first = !(user && user.consented_version);
  const check = h('input', { type: 'checkbox', 'data-testid': 'consent-check' });
  const box = formError('consent-error');
  const accept = h('button', { type: 'button', class: 'btn btn-primary btn-block', 'data-testid': 'consent-accept', onclick: async () => {
    if (!check.checked) { setFormError(box, t('reg.consentNeeded')); return; }
    submitBusy(accept, true, t('consent.accepting'));
    try {
      const resp = await api('POST', '/me/consent', { version: doc.version });
      session.signIn(resp);
      toast(t('consent.done'), 'success');
      afterSignIn();
    } catch (err) {
      submitBusy(accept, false);
      setFormError(box, errorMessage(err));
      if (err.code === 'validation_failed') refresh(); // a newer version came out meanwhile
    }
  } }, t('consent.accept'));
  const body = h('div', { class: 'legal consent-page' },
    h('p', { class: 'notice notice-warn', role: 'status' }, icon('alert'),
      h('span', null, first ? t('consent.first') : t('consent.changed', { note: doc.note }))),
    h('section', { class: 'card legal-doc' }, h('h2', null, t('legal.terms')), paragraphs(doc.terms, 'legal-terms')),
    h('section', { class: 'card legal-doc' }, h('h2', null, t('legal.privacy')), paragraphs(doc.privacy, 'legal-privacy')),
    h('label', { class: 'consent' }, check, h('span', null, t('consent.check'))),
    box, accept,
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn btn-ghost btn-block', 'data-testid': 'consent-signout',
      onclick: () => { session.signOut(); navigate('#/login', { replace: true }); } }, t('pw.signOut'))));
  return page({ title: t('consent.title'), body });
}

export function phonePage() {
  const box = formError('phone-error');
  const phone = input({ name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', placeholder: t('login.phonePh'), maxlength: '20', 'data-testid': 'phone-new' });
  const code = input({ name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: t('login.codePh'), maxlength: '6', 'data-testid': 'phone-code' });
  const send = h('button', { type: 'button', class: 'btn btn-ghost btn-small sms-btn', 'data-testid': 'sms-send' }, t('login.sendCode'));
  let timer = null;
  const countdown = (secs) => {
    const until = Date.now() + secs * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) { send.disabled = true; send.textContent = t('login.resend', { n: left }); }
      else { send.disabled = false; send.textContent = t('login.sendCode'); clearInterval(timer); timer = null; }
    };
    tick(); timer = setInterval(tick, 1000);
  };
  const form = h('form', { class: 'form', novalidate: true },
    h('p', { class: 'form-note muted' }, t('phone.intro', { phone: (session.user() && session.user().phone) || t('phone.none') })),
    h('div', { class: 'form-cells' },
      field(t('phone.new'), phone, null, { required: true }),
      field(t('reg.code'), h('div', { class: 'input-with-btn' }, code, send), null, { required: true })),
    box,
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'phone-submit' }, t('phone.submit')));
  send.addEventListener('click', async () => {
    setFormError(box, '');
    if (!phoneOk(phone.value)) { showFieldErrors(form, localErrors({ phone: t('login.badPhone') })); return; }
    clearFieldErrors(form);
    send.disabled = true;
    try {
      const r = await api('POST', '/me/phone-code', { phone: normPhone(phone.value) });
      toast(t('login.codeSent'), 'success');
      countdown((r && r.resend_after) || 60);
      code.focus();
    } catch (err) {
      send.disabled = false;
      if (err.status === 429) countdown(err.retryAfter || 60);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFormError(box, '');
    const le = localErrors({ phone: !phoneOk(phone.value) && t('login.badPhone'), code: !/^\d{6}$/.test(code.value.trim()) && t('login.badCode') });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    const submit = form.querySelector('[type=submit]');
    submitBusy(submit, true, t('phone.submitting'));
    try {
      const u = await api('POST', '/me/phone', { phone: normPhone(phone.value), code: code.value.trim() });
      session.setUser({ ...session.user(), ...u });
      toast(t('phone.done'), 'success');
      navigate(`${homeOf(u.role)}/me`, { replace: true });
    } catch (err) {
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  return page({ title: t('phone.title'), back: true, body: h('div', { class: 'me' }, form) });
}

/** The requests to join waiting, with approve and reject buttons; `after` re-renders. */
function joinRequestList(items, after) {
  if (!items.length) return empty(t('join.none'));
  return h('ul', { class: 'list member-list' }, items.map((r) => h('li', { class: 'member', 'data-testid': 'join-row' },
    h('div', { class: 'member-main' },
      h('div', { class: 'member-name' }, r.name, ' ', h('span', { class: 'muted' }, r.phone)),
      h('div', { class: 'muted small' }, t('join.asked', { name: r.enterprise_name, at: fmtDateTime(r.created_at) }))),
    h('div', { class: 'member-actions' },
      h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-testid': 'join-approve', onclick: async (e) => {
        if (!(await confirmDialog(t('join.approveConfirm', { name: r.name, ent: r.enterprise_name })))) return;
        e.target.disabled = true;
        try { await api('POST', `/join-requests/${encodeURIComponent(r.id)}/approve`); toast(t('join.approved'), 'success'); after(); } catch (err) { e.target.disabled = false; toast(errorMessage(err), 'error'); }
      } }, t('join.approve')),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'join-reject', onclick: async (e) => {
        const reason = await promptDialog(t('join.rejectReason'), { multiline: true, required: true, maxLength: 2000, danger: true, okText: t('join.reject') });
        if (reason === null) return;
        e.target.disabled = true;
        try { await api('POST', `/join-requests/${encodeURIComponent(r.id)}/reject`, { reason }); toast(t('join.rejected'), 'success'); after(); } catch (err) { e.target.disabled = false; toast(errorMessage(err), 'error'); }
      } }, t('join.reject'))))));
}

export async function membersPage() {
  const [members, requests] = await Promise.all([
    api('GET', '/enterprise/members'),
    api('GET', '/join-requests?status=pending'),
  ]);
  const me = session.user();
  const act = (path, confirmText) => async (e) => {
    if (confirmText && !(await confirmDialog(confirmText))) return;
    e.target.disabled = true;
    try { await api('POST', path); toast(t('me.saved'), 'success'); refresh(); } catch (err) { e.target.disabled = false; toast(errorMessage(err), 'error'); }
  };
  const rows = members.items.map((u) => {
    const base = `/enterprise/members/${encodeURIComponent(u.id)}`;
    const self = me && u.id === me.id;
    return h('li', { class: ['member', u.disabled ? 'member-off' : null], 'data-testid': 'member-row' },
      h('div', { class: 'member-main' },
        h('div', { class: 'member-name' }, u.name, ' ',
          u.enterprise_manager ? h('span', { class: 'tag tag-submitted', 'data-testid': 'member-manager' }, t('members.manager')) : null,
          u.disabled ? h('span', { class: 'tag tag-muted', 'data-testid': 'member-disabled' }, t('members.disabled')) : null,
          self ? h('span', { class: 'muted small' }, t('members.you')) : null),
        h('div', { class: 'muted small' }, u.phone || '', ' · ', t('members.since', { date: fmtDateTime(u.created_at) }))),
      self ? null : h('div', { class: 'member-actions' },
        u.disabled
          ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'member-enable', onclick: act(`${base}/enable`) }, t('members.enable'))
          : [h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'member-handover', onclick: act(`${base}/manager`, t('members.handoverConfirm', { name: u.name })) }, t('members.handover')),
            h('button', { type: 'button', class: 'btn btn-outline-danger btn-small', 'data-testid': 'member-disable', onclick: act(`${base}/disable`, t('members.disableConfirm', { name: u.name })) }, t('members.disable'))]));
  });
  const box = formError('invite-error');
  const phone = input({ name: 'phone', type: 'tel', inputmode: 'numeric', placeholder: t('login.phonePh'), maxlength: '20', 'data-testid': 'invite-phone' });
  const name = input({ name: 'name', placeholder: t('members.namePh'), maxlength: '100', 'data-testid': 'invite-name' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'invite-submit' }, t('members.invite'));
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'form-cells' }, field(t('members.name'), name, null, { required: true }), field(t('login.phone'), phone, null, { required: true })),
    h('p', { class: 'form-note muted' }, t('members.inviteNote')), box, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFormError(box, '');
    const le = localErrors({ name: !name.value.trim() && t('fe.required'), phone: !phoneOk(phone.value) && t('login.badPhone') });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    submitBusy(submit, true, t('members.inviting'));
    try {
      await api('POST', '/enterprise/members', { phone: normPhone(phone.value), name: name.value.trim() });
      toast(t('members.invited'), 'success');
      refresh();
    } catch (err) {
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  const body = h('div', { class: 'members' },
    h('section', { class: 'card' }, h('h2', null, t('join.title')), joinRequestList(requests.items, refresh)),
    h('section', { class: 'card' }, h('h2', null, t('members.list', { n: members.items.length })), h('ul', { class: 'list member-list' }, rows)),
    h('section', { class: 'card' }, h('h2', null, t('members.inviteTitle')), form));
  return page({ title: t('members.title'), back: true, body });
}

export async function joinRequestsPage() {
  const requests = await api('GET', '/join-requests?status=pending');
  const body = h('div', { class: 'members' },
    h('p', { class: 'form-note muted' }, t('join.staffNote')),
    h('section', { class: 'card' }, joinRequestList(requests.items, refresh)));
  return page({ title: t('join.title'), back: true, body, wide: true });
}

export async function legalEditPage() {
  const [doc, versions] = await Promise.all([api('GET', '/legal', null, { auth: false }), api('GET', '/legal/versions', null, { auth: false })]);
  const box = formError('legal-edit-error');
  const area = (name, value, testid) => { const a = h('textarea', { class: 'textarea', name, rows: '14', maxlength: '10000', 'data-testid': testid }); a.value = value; return a; };
  const terms = area('terms', doc.terms, 'legal-edit-terms');
  const privacy = area('privacy', doc.privacy, 'legal-edit-privacy');
  const note = input({ name: 'note', placeholder: t('legalEdit.notePh'), maxlength: '2000', 'data-testid': 'legal-edit-note' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'legal-edit-submit' }, t('legalEdit.publish'));
  const form = h('form', { class: 'form', novalidate: true },
    h('p', { class: 'notice notice-warn' }, icon('alert'), h('span', null, t('legalEdit.warn', { n: doc.version }))),
    field(t('legal.terms'), terms, null, { required: true }),
    field(t('legal.privacy'), privacy, null, { required: true }),
    field(t('legalEdit.note'), note, null, { required: true }),
    box, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFormError(box, '');
    const le = localErrors({ terms: !terms.value.trim() && t('fe.required'), privacy: !privacy.value.trim() && t('fe.required'), note: !note.value.trim() && t('fe.required') });
    if (le) { showFieldErrors(form, le); return; }
    if (!(await confirmDialog(t('legalEdit.confirm', { n: doc.version + 1 })))) return;
    submitBusy(submit, true, t('legalEdit.publishing'));
    try {
      await api('POST', '/legal', { terms: terms.value, privacy: privacy.value, note: note.value.trim() });
      toast(t('legalEdit.done'), 'success');
      refresh();
    } catch (err) {
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  const history = h('ul', { class: 'list' }, versions.items.map((v) => h('li', { class: 'member' },
    h('div', { class: 'member-main' }, h('div', { class: 'member-name' }, t('legalEdit.versionN', { n: v.version }), ' ', v.note),
      h('div', { class: 'muted small' }, fmtDateTime(v.published_at))),
    h('a', { class: 'btn btn-ghost btn-small', href: `#/legal?version=${v.version}` }, t('legalEdit.view')))));
  const body = h('div', { class: 'legal-edit' },
    h('section', { class: 'card' }, form),
    h('section', { class: 'card' }, h('h2', null, t('legalEdit.history')), history));
  return page({ title: t('legalEdit.title'), back: true, body, wide: true });
}
