// staff/liaison.js — the liaison cadre's pages (联点干部, 千名干部进千企): 我的联点企业 (#/c/enterprises:
// the enterprises they are paired with, those due a visit first, each with its last visit and
// 记录走访; the name opens its 企业档案, staff/enterprise-profile.js; 副联点 marks those the cadre is
// the deputy of) and the visit form (#/c/visits/new/:enterprise: the day, how, whom they met,
// what they found, the photos taken, the policies explained (宣讲政策, those it fits first:
// staff/enterprise-policies.js) and the difficulties raised filed on the spot as the
// enterprise's requests), which ends on what was recorded with links to the requests filed.
//
// Test ids (stable, for tests/e2e):
//   liaison-list liaison-item (data-id, data-due, data-deputy) liaison-name liaison-due
//   liaison-deputy liaison-record liaison-empty
//   visit-form visit-day visit-method visit-people visit-findings
//   visit-photos (+ -input, -pick, -item, -remove, -error: core/uploader.js) visit-add-request
//   visit-request (data-index) visit-request-kind visit-request-category visit-request-title
//   visit-request-description visit-request-remove visit-submit visit-error visit-done
//   visit-done-ticket visit-done-profile visit-done-policies; the picker's (visit-policies…:
//   staff/enterprise-policies.js)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { page } from '../core/layout.js';
import { loading, empty, errorState } from '../core/states.js';
import { field, formError, setFormError, showFieldErrors, clearFieldErrors, submitBusy } from '../core/forms.js';
import { fmtDate } from '../core/format.js';
import { uploader } from '../core/uploader.js';
import { confirmDialog } from '../core/dialogs.js';
import { directory } from '../desk/directory.js';
import { policyPicker } from './enterprise-policies.js';

const METHODS = ['on_site', 'phone', 'meeting'];
const KINDS = ['problem', 'suggestion', 'inquiry'];
const MAX_REQUESTS = 5;
const MAX_PHOTOS = 9;

/** The enterprise's 企业档案 (staff/enterprise-profile.js). */
export function profileHref(id) { return `#/c/enterprises/${encodeURIComponent(id)}`; }

/** One paired enterprise: its name opens its profile; due, deputy, last visit, 记录走访. */
function enterpriseCard(e) {
  return h('div', { class: ['list-item', 'sf-card', 'li-card'], 'data-testid': 'liaison-item', 'data-id': e.id, 'data-due': String(!!e.visit_due), 'data-deputy': String(!!e.deputy) },
    h('div', { class: 'ti-head' },
      h('a', { class: 'ti-title li-name', href: profileHref(e.id), 'data-testid': 'liaison-name' }, e.name),
      h('span', { class: 'li-tags' },
        e.deputy ? h('span', { class: 'tag tag-muted', 'data-testid': 'liaison-deputy' }, t('li.deputy')) : null,
        e.visit_due ? h('span', { class: 'tag tag-warn', 'data-testid': 'liaison-due' }, t('li.due')) : null)),
    h('div', { class: 'ti-meta muted' }, [e.area, e.industry_chain].filter(Boolean).join(' · ')),
    h('div', { class: 'ti-foot li-foot' },
      h('span', { class: 'muted sf-small' }, e.last_visit ? t('li.last', { day: e.last_visit }) : t('li.never')),
      h('a', { class: 'btn btn-primary btn-small', href: `#/c/visits/new/${encodeURIComponent(e.id)}`, 'data-testid': 'liaison-record' }, icon('edit'), t('li.record'))));
}

/** #/c/enterprises */
export async function liaisonListPage() {
  const box = h('div', { class: 'list', 'data-testid': 'liaison-list' }, loading());
  const hint = h('p', { class: 'muted sf-small li-hint' });
  const load = async () => {
    try {
      const r = await api('GET', '/me/enterprises');
      hint.textContent = t('li.hint', { days: r.visit_interval_days });
      const items = r.items || [];
      box.replaceChildren(...(items.length ? items.map(enterpriseCard)
        : [h('div', { 'data-testid': 'liaison-empty' }, empty(t('li.none')))]));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    }
  };
  await load();
  return page({ title: t('li.title'), body: h('div', { class: 'sf-listpage' }, hint, box), tabbar: true, wide: true, className: 'sf-page' });
}

/** Today in China, YYYY-MM-DD. */
function today() { return fmtDate(new Date().toISOString()); }

/** #/c/visits/new/:enterprise */
export async function visitFormPage({ enterprise }) {
  // A failure to read them is the router's error page (with 重试), not a form without
  // categories; an enterprise the reader may not see is null (directory.enterprise).
  const [ent, cats] = await Promise.all([directory.enterprise(enterprise), directory.categories()]);
  const active = cats.filter((c) => !c.disabled);
  const day = h('input', { class: 'input', type: 'date', name: 'visited_on', value: today(), max: today(), required: true, 'data-testid': 'visit-day' });
  let method = 'on_site';
  const methodSel = h('select', { class: 'select', name: 'method', 'data-testid': 'visit-method', onchange: (e) => { method = e.target.value; } },
    METHODS.map((m) => h('option', { value: m }, t(`li.m.${m}`))));
  const people = h('input', { class: 'input', name: 'people', maxlength: '200', placeholder: t('li.peoplePh'), required: true, 'data-testid': 'visit-people' });
  const findings = h('textarea', { class: 'textarea', name: 'findings', rows: '4', maxlength: '5000', placeholder: t('li.findingsPh'), required: true, 'data-testid': 'visit-findings' });
  // Each photo uploads as it is chosen (POST /attachments); the visit names them by id.
  const photos = uploader({ max: MAX_PHOTOS, testid: 'visit-photos', photos: true, field: 'photo_ids' });
  const policies = policyPicker(enterprise);
  const requests = h('div', { class: 'li-requests' });
  const addBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'visit-add-request' }, icon('plus'), t('li.addRequest'));
  const renumber = () => {
    [...requests.children].forEach((block, i) => {
      block.setAttribute('data-index', String(i));
      block.querySelectorAll('[data-part]').forEach((el) => { el.name = `requests[${i}].${el.getAttribute('data-part')}`; });
    });
    addBtn.disabled = requests.children.length >= MAX_REQUESTS;
  };
  addBtn.onclick = () => {
    const block = h('fieldset', { class: 'li-request card', 'data-testid': 'visit-request' },
      field(t('li.kind'), h('select', { class: 'select', 'data-part': 'kind', 'data-testid': 'visit-request-kind' }, KINDS.map((k) => h('option', { value: k }, t(`kind.${k}`))))),
      field(t('li.category'), h('select', { class: 'select', 'data-part': 'category_id', 'data-testid': 'visit-request-category' },
        h('option', { value: '' }, t('li.categoryPh')), active.map((c) => h('option', { value: c.id }, c.name)))),
      field(t('li.reqTitle'), h('input', { class: 'input', 'data-part': 'title', maxlength: '100', 'data-testid': 'visit-request-title' })),
      field(t('li.reqDescription'), h('textarea', { class: 'textarea', rows: '3', 'data-part': 'description', maxlength: '5000', 'data-testid': 'visit-request-description' })),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'visit-request-remove', onclick: () => { block.remove(); renumber(); } }, t('li.removeRequest')));
    requests.appendChild(block);
    renumber();
  };
  const error = formError('visit-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'visit-submit' }, t('li.submit'));
  const body = h('div', { class: 'li-page' });
  const form = h('form', { class: 'form card li-form', 'data-testid': 'visit-form', novalidate: true },
    ent ? h('h2', { class: 'li-ent' }, ent.name) : null,
    field(t('li.day'), day, null, { required: true }),
    field(t('li.method'), methodSel),
    field(t('li.people'), people, null, { required: true }),
    field(t('li.findings'), findings, null, { required: true }),
    field(t('li.photos'), photos.element, null, { cls: 'field-stack' }),
    h('div', { class: 'field field-stack li-pol-field', 'data-field': 'policy_ids' },
      h('div', { class: 'field-label' }, t('li.policies')),
      h('div', { class: 'field-control' }, policies.element),
      h('div', { class: 'field-error' })),
    h('div', { class: 'field li-requests-field', 'data-field': 'requests' },
      h('div', { class: 'field-label' }, t('li.requests')),
      h('div', { class: 'field-control' }, h('div', { class: 'field-hint' }, t('li.requestsHint')), requests, addBtn),
      h('div', { class: 'field-error' })),
    error,
    h('div', { class: 'form-actions' }, submit));
  form.onsubmit = async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    setFormError(error, '');
    const reqs = [...requests.children].map((b) => {
      const v = (part) => b.querySelector(`[data-part="${part}"]`).value.trim();
      return { kind: v('kind'), category_id: v('category_id'), title: v('title'), description: v('description') };
    });
    if (photos.busy()) { showFieldErrors(form, new ApiError(422, 'validation_failed', t('up.busy'), { photo_ids: t('up.busy') })); return; }
    if (photos.failed() && !(await confirmDialog(t('li.failedPhotos', { n: photos.failed() })))) return;
    submitBusy(submit, true);
    try {
      const v = await api('POST', '/visits', {
        enterprise_id: enterprise, visited_on: day.value, method, people: people.value.trim(), findings: findings.value.trim(), requests: reqs, photo_ids: photos.ids(), policy_ids: policies.ids(),
      });
      const ids = v.ticket_ids || [];
      body.replaceChildren(h('section', { class: 'card li-done', 'data-testid': 'visit-done' },
        h('h2', null, ids.length ? t('li.savedWith', { n: ids.length }) : t('li.saved')),
        ids.length ? h('ul', null, ids.map((id, i) => h('li', null,
          h('a', { href: `#/c/tickets/${encodeURIComponent(id)}`, 'data-testid': 'visit-done-ticket' }, reqs[i] ? reqs[i].title : id)))) : null,
        (v.photos || []).length ? h('p', { class: 'muted sf-small' }, t('li.savedPhotos', { n: v.photos.length })) : null,
        (v.policy_ids || []).length ? h('p', { class: 'muted sf-small', 'data-testid': 'visit-done-policies' }, t('li.savedPolicies', { n: v.policy_ids.length })) : null,
        h('a', { class: 'btn btn-primary btn-block', href: profileHref(enterprise), 'data-testid': 'visit-done-profile' }, t('li.openProfile')),
        h('a', { class: 'btn btn-ghost btn-block', href: '#/c/enterprises' }, t('li.back'))));
    } catch (err) {
      if (!showFieldErrors(form, err)) setFormError(error, errorMessage(err));
    } finally { submitBusy(submit, false); }
  };
  body.appendChild(form);
  return page({ title: t('li.formTitle'), back: '#/c/enterprises', body, tabbar: true, wide: true, className: 'sf-page' });
}
