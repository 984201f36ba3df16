// admin/enterprises.js — 企业档案 (#/a/enterprises?q=): the enterprises with their chain, area,
// contact, liaison cadre and deputies (张三（副：李四、王五）), each name opening its profile
// (#/c/enterprises/:id); create and edit, the deputies (副联点干部: active cadres, at most five,
// not the liaison cadre) chosen only with a liaison cadre. Importing a workbook:
// enterprise-import.js; the pairing sheet: pairing-import.js; enterprises' information (送政策):
// traits-import.js.
//
// Test ids (stable, for tests/e2e):
//   enterprises-table enterprises-row (data-id) ent-create ent-edit ent-search ent-profile
//   ent-import ent-pairings ent-name ent-credit-code ent-chain ent-area ent-address ent-contact-name
//   ent-contact-phone ent-liaison ent-deputies ent-deputy (data-id: a checkbox each)

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
import { btn, table, td, diff, adminPage, head, wideScreen } from './frame.js';

const CHAINS = ['绿色食品', '先进储能材料', '智能终端', '医药医疗器械', '新型合金', '文化旅游'];
/** Deputies per enterprise, at most (the API's limit). */
const MAX_DEPUTIES = 5;

/** 张三（副：李四、王五）, or 张三 with none. */
function liaisonText(e, cn) {
  const lead = cn.get(e.liaison_cadre_id) || '—';
  const deps = (e.deputy_ids || []).map((id) => cn.get(id) || '—');
  return deps.length ? `${lead}（${t('a.ent.deputyShort')}${deps.join('、')}）` : lead;
}

/** The deputies' checkboxes: the active cadres (and any already chosen), not the liaison cadre. */
function deputyPicker(cadres, chosen) {
  const hint = h('div', { class: 'field-hint sa-deputy-note' });
  const list = h('div', { class: 'sf-checks sa-deputies', role: 'group', 'data-testid': 'ent-deputies', 'aria-label': t('a.ent.deputies') },
    cadres.filter((u) => !u.disabled || chosen.includes(u.id)).map((u) => h('label', { class: 'sf-check sa-deputy', 'data-id': u.id },
      h('input', { type: 'checkbox', name: 'deputy_ids', value: u.id, checked: chosen.includes(u.id), 'data-multi': '1', 'data-testid': 'ent-deputy' }),
      h('span', null, u.name, u.phone ? h('span', { class: 'muted sf-small sa-deputy-phone' }, u.phone) : null))));
  const sync = (leadId) => {
    const boxes = [...list.querySelectorAll('input[type=checkbox]')];
    for (const b of boxes) {
      const isLead = b.value === leadId;
      if (isLead || !leadId) b.checked = false;
      b.disabled = !leadId || isLead;
      b.closest('label').classList.toggle('hidden', isLead);
    }
    const n = boxes.filter((b) => b.checked).length;
    if (n >= MAX_DEPUTIES) for (const b of boxes) if (!b.checked) b.disabled = true;
    for (const b of boxes) b.closest('label').classList.toggle('is-disabled', b.disabled);
    hint.textContent = leadId ? t('a.ent.deputiesHint', { n, max: MAX_DEPUTIES }) : t('a.ent.deputiesNeedLead');
  };
  const node = field(t('a.ent.deputies'), list);
  node.insertBefore(hint, node.querySelector('.field-error'));
  list.addEventListener('change', () => sync(list.closest('form').querySelector('[name=liaison_cadre_id]').value));
  return { node, sync };
}

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
        td(h('a', { href: `#/c/enterprises/${encodeURIComponent(e.id)}`, 'data-testid': 'ent-profile' }, e.name), 'sa-name'), td(e.credit_code, 'mono'), td(e.industry_chain || ''), td(e.area || ''), td(e.contact_name || ''), td(e.contact_phone || '', 'mono'),
        td(e.liaison_cadre_id ? liaisonText(e, cn) : h('span', { class: 'muted' }, t('a.ent.noLiaison'))),
        td(btn(t('a.common.edit'), () => edit(e), { testid: 'ent-edit' }), 'sa-actions')),
    });
    box.replaceChildren(list.element);
  }

  async function edit(e) {
    const isNew = !e;
    const v0 = e || {};
    const deputies = deputyPicker(cadres, v0.liaison_cadre_id ? v0.deputy_ids || [] : []);
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
          ...cadres.filter((u) => !u.disabled || u.id === v0.liaison_cadre_id).map((u) => h('option', { value: u.id, selected: u.id === v0.liaison_cadre_id }, u.phone ? `${u.name}（${u.phone}）` : u.name))],
        { testid: 'ent-liaison', onchange: (ev) => deputies.sync(ev.target.value) })),
        deputies.node,
        datalist,
      ],
      onOpen: (form) => deputies.sync(form.querySelector('[name=liaison_cadre_id]').value),
      submit: async (form, v) => {
        checkFields(v, { name: { required: true, max: 100 }, credit_code: { required: true }, address: { max: 200 } });
        const after = {
          name: v.name.trim(), credit_code: v.credit_code.trim().toUpperCase(), industry_chain: v.industry_chain.trim(), area: v.area.trim(),
          address: v.address.trim(), contact_name: v.contact_name.trim(), contact_phone: v.contact_phone.trim(), liaison_cadre_id: v.liaison_cadre_id || null,
        };
        const body = diff(e, after, ['industry_chain', 'area', 'address', 'contact_name', 'contact_phone', 'liaison_cadre_id']);
        // Deputies only with a liaison cadre (clearing it clears them on the server); sent when changed.
        const deps = after.liaison_cadre_id ? (v.deputy_ids || []) : [];
        const before = (e && e.deputy_ids) || [];
        if (after.liaison_cadre_id && (deps.length !== before.length || deps.some((id) => !before.includes(id)))) body.deputy_ids = deps;
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
  const imports = [
    h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises/import', 'data-testid': 'ent-import' }, icon('file'), t('a.ent.import')),
    h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises/pairings', 'data-testid': 'ent-pairings' }, icon('user'), t('a.ent.pairings')),
    h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises/traits', 'data-testid': 'ent-traits' }, icon('list'), t('ti.link')),
  ];
  const create = btn(t('a.ent.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'ent-create', ic: 'plus' });
  // On a phone the three imports and 新建企业 do not fit the heading's one line: the imports get
  // a row of their own, which wraps.
  const wide = wideScreen.matches;
  return adminPage(t('a.ent.title'), [
    wide ? head(t('a.ent.title'), ...imports, create) : head(t('a.ent.title'), create),
    wide ? null : h('div', { class: 'btn-row sa-imports' }, imports),
    toolbar, box]);
}
