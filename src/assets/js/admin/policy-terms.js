// admin/policy-terms.js — 政策领域与企业资质 (#/a/policy-terms): the two lists the administrator
// keeps for 送政策 (GET /policy-terms): the fields policies are filed under (领域) and the
// qualifications enterprises hold (资质), which policies' conditions name. Each is added (a
// taken name is refused under the field), renamed, retired (停用: no longer offered, kept where
// used) and restored.
//
// Test ids (stable, for tests/e2e):
//   policy-terms terms-field terms-qualification (each list's card; data-kind) term-add-field
//   term-add-qualification term-row (data-id, data-kind, data-active) term-name-text term-rename
//   term-retire term-restore terms-empty term-name (the dialog's input)

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { loading, empty, errorState } from '../core/states.js';
import { field } from '../core/forms.js';
import { invalidate } from '../desk/directory.js';
import { checkFields } from '../desk/validation.js';
import { formDialog, textInput } from '../desk/form-dialog.js';
import { btn, adminPage, head } from './frame.js';

const KINDS = [
  { kind: 'field', title: 'pa.terms.field', add: 'pa.terms.addField', none: 'pa.terms.emptyField' },
  { kind: 'qualification', title: 'pa.terms.qualification', add: 'pa.terms.addQualification', none: 'pa.terms.emptyQualification' },
];
const MAX_NAME = 50;

export async function policyTermsPage() {
  const box = h('div', { class: 'sa-pt-grid' }, loading());

  async function load() {
    box.replaceChildren(loading());
    try {
      const r = await api('GET', '/policy-terms');
      // Cached look-ups of the terms (the staff pages' qualification names) read them again.
      invalidate('policy-terms');
      const items = r.items || [];
      box.replaceChildren(...KINDS.map((k) => listCard(k, items.filter((x) => x.kind === k.kind))));
    } catch (err) { box.replaceChildren(errorState(err, load)); }
  }

  function listCard(k, terms) {
    // In use first, in the administrator's order; the retired after them.
    const sorted = terms.slice().sort((a, b) => (b.active - a.active) || (a.position - b.position));
    const retired = terms.filter((x) => !x.active).length;
    return h('section', { class: 'card sa-pt-card', 'data-testid': `terms-${k.kind}`, 'data-kind': k.kind },
      h('div', { class: 'sa-card-head' },
        h('div', { class: 'sa-pt-head' },
          h('h3', { class: 'card-title' }, t(k.title)),
          h('span', { class: 'muted sf-small' }, retired ? t('pa.terms.countRetired', { n: terms.length - retired, m: retired }) : t('pa.terms.count', { n: terms.length }))),
        btn(t(k.add), () => edit(k.kind, null), { cls: 'btn-primary btn-small', testid: `term-add-${k.kind}`, ic: 'plus' })),
      sorted.length
        ? h('ul', { class: 'sa-pt-list' }, sorted.map(row))
        : h('div', { 'data-testid': 'terms-empty' }, empty(t(k.none))));
  }

  function row(x) {
    return h('li', { class: ['sa-pt-row', !x.active && 'is-retired'], 'data-testid': 'term-row', 'data-id': x.id, 'data-kind': x.kind, 'data-active': String(x.active) },
      h('span', { class: 'sa-pt-name', 'data-testid': 'term-name-text' }, x.name),
      x.active ? null : h('span', { class: 'tag tag-off' }, t('pa.terms.retired')),
      h('span', { class: 'btn-row sa-pt-actions' },
        btn(t('pa.terms.rename'), () => edit(x.kind, x), { testid: 'term-rename' }),
        x.active
          ? btn(t('pa.terms.retire'), () => setActive(x, false), { testid: 'term-retire', cls: 'btn-ghost btn-small btn-danger-text' })
          : btn(t('pa.terms.restore'), () => setActive(x, true), { testid: 'term-restore' })));
  }

  async function setActive(x, active) {
    if (!active && !(await confirmDialog(t('pa.terms.retireConfirm', { name: x.name }), { danger: true, okText: t('pa.terms.retire') }))) return;
    try {
      await api('PATCH', `/policy-terms/${encodeURIComponent(x.id)}`, { active });
      toast(t('a.common.saved'), 'success');
      load();
    } catch (err) { toast(errorMessage(err), 'error'); }
  }

  async function edit(kind, x) {
    const k = KINDS.find((y) => y.kind === kind);
    const r = await formDialog({
      title: x ? t('pa.terms.renameTitle') : t(k.add), okText: t('common.save'), action: x ? 'term-rename' : `term-add-${kind}`, duplicateField: 'name',
      fields: field(t('pa.terms.name'), textInput('name', { max: MAX_NAME, testid: 'term-name', value: x ? x.name : '' }), t('pa.terms.nameHint'), { required: true }),
      submit: async (form, v) => {
        checkFields(v, { name: { required: true, max: MAX_NAME } });
        const name = v.name.trim();
        if (!x) return api('POST', '/policy-terms', { kind, name });
        if (name === x.name) return true;
        return api('PATCH', `/policy-terms/${encodeURIComponent(x.id)}`, { name });
      },
    });
    if (r) { toast(x ? t('a.common.saved') : t('a.common.created'), 'success'); load(); }
  }

  load();
  return adminPage(t('pa.terms.title'), h('div', { 'data-testid': 'policy-terms' },
    head(t('pa.terms.title')),
    h('p', { class: 'muted sf-small sa-intro' }, t('pa.terms.intro')),
    box));
}
