// admin/enterprises.js — 企业档案 (#/a/enterprises?q=): the enterprises with their chain, area,
// contact and liaison cadre; create and edit. Importing a workbook: enterprise-import.js.
//
// Test ids (stable, for tests/e2e):
//   enterprises-table enterprises-row (data-id) ent-create ent-edit ent-search
//   ent-import ent-name ent-credit-code ent-chain ent-area ent-address ent-contact-name
//   ent-contact-phone ent-liaison

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { toast } from '../core/feedback.js';
import { field } from '../core/forms.js';
import { fetchAll, nameMap, invalidate } from '../desk/directory.js';
import { checkFields } from '../desk/validation.js';
import { formDialog, textInput, selectInput } from '../desk/form-dialog.js';
import { setHashQuery, pagedList } from '../desk/paged-list.js';
import { btn, table, td, diff, adminPage, head } from './frame.js';

const CHAINS = ['绿色食品', '先进储能材料', '智能终端', '医药医疗器械', '新型合金', '文化旅游'];

export async function enterprisesPage(params, query) {
  let q = query.q || '';
  const cadres = await fetchAll('/users', { role: 'cadre' }).catch(() => []);
  const cn = nameMap(cadres);
  const searchIn = h('input', { type: 'search', class: 'input', value: q, placeholder: t('a.ent.search'), 'data-testid': 'ent-search', maxlength: '100', 'aria-label': t('a.ent.search') });
  const toolbar = h('form', { class: 'toolbar sa-toolbar', onsubmit: (e) => { e.preventDefault(); q = searchIn.value.trim(); go(); } },
    searchIn, h('button', { type: 'submit', class: 'btn btn-ghost btn-small' }, t('a.common.search')));
  const box = h('div');
  let list = null;
  const datalist = h('datalist', { id: 'sa-chains' }, CHAINS.map((c) => h('option', { value: c })));

  function go() {
    setHashQuery({ q });
    list = pagedList({
      testid: 'enterprises-tbody', listTag: 'tbody', listClass: 'sa-tbody', emptyText: t('a.ent.empty'),
      wrap: (tbody) => table('enterprises-table', [t('a.ent.name'), t('a.ent.creditCode'), t('a.ent.chain'), t('a.ent.area'), t('a.ent.contactName'), t('a.ent.contactPhone'), t('a.ent.liaison'), { label: t('a.common.actions'), cls: 'sa-actions' }], tbody),
      load: (cursor) => api('GET', '/enterprises', null, { query: { q: q || undefined, limit: 50, cursor } }),
      item: (e) => h('tr', { 'data-testid': 'enterprises-row', 'data-id': e.id },
        td(e.name, 'sa-name'), td(e.credit_code, 'mono'), td(e.industry_chain || ''), td(e.area || ''), td(e.contact_name || ''), td(e.contact_phone || '', 'mono'),
        td(e.liaison_cadre_id ? cn.get(e.liaison_cadre_id) || '—' : h('span', { class: 'muted' }, t('a.ent.noLiaison'))),
        td(btn(t('a.common.edit'), () => edit(e), { testid: 'ent-edit' }), 'sa-actions')),
    });
    box.replaceChildren(list.element);
  }

  async function edit(e) {
    const isNew = !e;
    const v0 = e || {};
    const r = await formDialog({
      title: isNew ? t('a.ent.create') : t('a.ent.edit'), okText: t('common.save'), action: isNew ? 'ent-create' : 'ent-edit', wide: true, duplicateField: 'credit_code',
      fields: [
        field(t('a.ent.name'), textInput('name', { max: 100, testid: 'ent-name', value: v0.name }), null, { required: true }),
        field(t('a.ent.creditCode'), textInput('credit_code', { max: 18, testid: 'ent-credit-code', value: v0.credit_code, autocomplete: 'off' }), t('a.ent.creditHint'), { required: true }),
        field(t('a.ent.chain'), h('input', { name: 'industry_chain', class: 'input', list: 'sa-chains', maxlength: '100', 'data-testid': 'ent-chain', value: v0.industry_chain || '' })),
        field(t('a.ent.area'), textInput('area', { max: 100, testid: 'ent-area', value: v0.area || '' })),
        field(t('a.ent.address'), textInput('address', { max: 200, testid: 'ent-address', value: v0.address || '' })),
        field(t('a.ent.contactName'), textInput('contact_name', { max: 100, testid: 'ent-contact-name', value: v0.contact_name || '' })),
        field(t('a.ent.contactPhone'), textInput('contact_phone', { type: 'tel', testid: 'ent-contact-phone', value: v0.contact_phone || '', inputmode: 'tel' }), t('a.ent.contactPhoneHint')),
        field(t('a.ent.liaison'), selectInput('liaison_cadre_id', [h('option', { value: '' }, t('a.ent.noLiaison')),
          ...cadres.filter((u) => !u.disabled || u.id === v0.liaison_cadre_id).map((u) => h('option', { value: u.id, selected: u.id === v0.liaison_cadre_id }, u.phone ? `${u.name}（${u.phone}）` : u.name))], { testid: 'ent-liaison' })),
        datalist,
      ],
      submit: async (form, v) => {
        checkFields(v, { name: { required: true, max: 100 }, credit_code: { required: true }, address: { max: 200 } });
        const after = {
          name: v.name.trim(), credit_code: v.credit_code.trim().toUpperCase(), industry_chain: v.industry_chain.trim(), area: v.area.trim(),
          address: v.address.trim(), contact_name: v.contact_name.trim(), contact_phone: v.contact_phone.trim(), liaison_cadre_id: v.liaison_cadre_id || null,
        };
        const body = diff(e, after, ['industry_chain', 'area', 'address', 'contact_name', 'contact_phone', 'liaison_cadre_id']);
        if (isNew) return api('POST', '/enterprises', body);
        if (!Object.keys(body).length) return true;
        return api('PATCH', `/enterprises/${encodeURIComponent(e.id)}`, body);
      },
    });
    if (r) {
      if (e) invalidate(`enterprise:${e.id}`);
      toast(isNew ? t('a.common.created') : t('a.common.saved'), 'success');
      list.reload();
    }
  }

  go();
  return adminPage(t('a.ent.title'), [
    head(t('a.ent.title'),
      h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises/import', 'data-testid': 'ent-import' }, icon('file'), t('a.ent.import')),
      btn(t('a.ent.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'ent-create', ic: 'plus' })),
    toolbar, box]);
}
