// admin/campaigns.js — 专项行动 (#/a/campaigns): the campaigns of the liaison program, the latest
// end first, each with its period, target, scope and state (未开始 / 进行中 / 已结束, as the
// server says), opening its progress (campaign.js); 发起专项行动 opens one (POST /campaigns).
//
// Test ids (stable, for tests/e2e):
//   campaigns-table campaign-row (data-id, data-state) campaign-open campaigns-empty campaign-create
//   campaign-title campaign-starts campaign-ends campaign-target campaign-area campaign-chain campaign-note

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { navigate } from '../core/router.js';
import { toast } from '../core/feedback.js';
import { field } from '../core/forms.js';
import { loading, errorState, empty } from '../core/states.js';
import { checkFields, localError } from '../desk/validation.js';
import { formDialog, textInput, textArea } from '../desk/form-dialog.js';
import { addDays, todayCN, validYmd } from '../desk/dates.js';
import { btn, table, td, adminPage, head, wideScreen } from './frame.js';

/** upcoming | running | ended: the server's word (`state`), else by today in China. */
export function campaignState(c, today = todayCN()) {
  if (c.state) return c.state;
  if (today < c.starts_on) return 'upcoming';
  return today > c.ends_on ? 'ended' : 'running';
}

export function stateTag(state) {
  return h('span', { class: ['tag', `tag-camp-${state}`], 'data-testid': 'campaign-state' }, t(`a.camp.state.${state}`));
}

/** 全区 when not narrowed, else its area and chain. */
export function scopeText(c) {
  const parts = [c.area, c.industry_chain].filter(Boolean);
  return parts.length ? parts.join(' · ') : t('a.camp.allScope');
}

async function openCampaign() {
  const today = todayCN();
  return formDialog({
    title: t('a.camp.create'), okText: t('a.camp.createOk'), action: 'campaign-create', wide: true,
    fields: [
      field(t('a.camp.title'), textInput('title', { max: 100, testid: 'campaign-title', placeholder: t('a.camp.titlePlaceholder') }), null, { required: true }),
      h('div', { class: 'sa-form-row' },
        field(t('a.camp.starts'), textInput('starts_on', { type: 'date', testid: 'campaign-starts', value: today }), null, { required: true }),
        field(t('a.camp.ends'), textInput('ends_on', { type: 'date', testid: 'campaign-ends', value: addDays(today, 29) }), t('a.camp.endsHint'), { required: true }),
        field(t('a.camp.target'), textInput('target_percent', { type: 'number', testid: 'campaign-target', value: '100', min: '1', maxNum: '100', inputmode: 'numeric' }), t('a.camp.targetHint'), { required: true })),
      h('div', { class: 'sa-form-row' },
        field(t('a.ent.area'), textInput('area', { max: 100, testid: 'campaign-area' }), t('a.camp.scopeHint')),
        field(t('a.ent.chain'), h('input', { name: 'industry_chain', class: 'input', list: 'sa-camp-chains', maxlength: '100', 'data-testid': 'campaign-chain' }), t('a.camp.scopeHint'))),
      field(t('a.camp.note'), textArea('note', { max: 2000, rows: 3, testid: 'campaign-note', placeholder: t('a.camp.notePlaceholder') })),
    ],
    submit: async (form, v) => {
      checkFields(v, { title: { required: true, max: 100 }, starts_on: { required: true }, ends_on: { required: true }, target_percent: { required: true, int: [1, 100] }, note: { max: 2000 } });
      const errs = {};
      if (!validYmd(v.starts_on)) errs.starts_on = t('a.camp.badDay');
      if (!validYmd(v.ends_on)) errs.ends_on = t('a.camp.badDay');
      else if (validYmd(v.starts_on) && v.ends_on < v.starts_on) errs.ends_on = t('a.camp.endsBefore');
      else if (validYmd(v.starts_on) && v.ends_on > addDays(v.starts_on, 366)) errs.ends_on = t('a.camp.tooLong');
      if (Object.keys(errs).length) throw localError(errs);
      const body = { title: v.title.trim(), starts_on: v.starts_on, ends_on: v.ends_on, target_percent: Number(v.target_percent), note: v.note.trim() };
      if (v.area.trim()) body.area = v.area.trim();
      if (v.industry_chain.trim()) body.industry_chain = v.industry_chain.trim();
      return api('POST', '/campaigns', body);
    },
  });
}

/** On a phone a list: six columns leave the titles no room. */
function phoneList(items, today) {
  return h('ul', { class: 'sa-camp-list', 'data-testid': 'campaigns-table' }, items.map((c) => {
    const state = campaignState(c, today);
    return h('li', { class: 'sa-camp-item', 'data-testid': 'campaign-row', 'data-id': c.id, 'data-state': state },
      h('a', { class: 'sa-camp-link', href: `#/a/campaigns/${encodeURIComponent(c.id)}`, 'data-testid': 'campaign-open' },
        h('span', { class: 'sa-camp-item-head' }, h('span', { class: 'sa-camp-item-title' }, c.title), stateTag(state)),
        h('span', { class: 'muted sf-small' }, `${t('a.camp.periodText', { from: c.starts_on, to: c.ends_on })} · ${t('a.camp.target')} ${c.target_percent}% · ${scopeText(c)}`)));
  }));
}

export function campaignsPage() {
  const box = h('div', null, loading());
  const chains = h('datalist', { id: 'sa-camp-chains' });
  const load = async () => {
    box.replaceChildren(loading());
    try {
      const r = await api('GET', '/campaigns');
      const items = r.items || [];
      const known = new Set(items.map((c) => c.industry_chain).filter(Boolean));
      chains.replaceChildren(...[...known].map((c) => h('option', { value: c })));
      if (!items.length) { box.replaceChildren(h('div', { 'data-testid': 'campaigns-empty' }, empty(t('a.camp.none')))); return; }
      const today = todayCN();
      if (!wideScreen.matches) { box.replaceChildren(phoneList(items, today)); return; }
      box.replaceChildren(table('campaigns-table', [t('a.camp.title'), t('a.camp.period'), { label: t('a.camp.target'), cls: 'num' }, t('a.camp.scope'), t('a.common.status'), { label: '', cls: 'sa-actions' }],
        h('tbody', null, items.map((c) => {
          const state = campaignState(c, today);
          const href = `#/a/campaigns/${encodeURIComponent(c.id)}`;
          return h('tr', { 'data-testid': 'campaign-row', 'data-id': c.id, 'data-state': state },
            td(h('a', { href }, c.title), 'sa-name'),
            td(t('a.camp.periodText', { from: c.starts_on, to: c.ends_on }), 'sa-nowrap'),
            td(`${c.target_percent}%`, 'num'),
            td(scopeText(c)),
            td(stateTag(state), 'sa-nowrap'),
            td(h('a', { class: 'btn btn-ghost btn-small', href, 'data-testid': 'campaign-open' }, t('a.camp.progress')), 'sa-actions'));
        }))));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    }
  };
  const create = async () => {
    const c = await openCampaign();
    if (c && c.id) { toast(t('a.camp.created'), 'success'); navigate(`#/a/campaigns/${encodeURIComponent(c.id)}`); }
  };
  load();
  return adminPage(t('a.camp.pageTitle'), [
    head(t('a.camp.pageTitle'), btn(t('a.camp.create'), create, { cls: 'btn-primary btn-small', testid: 'campaign-create', ic: 'plus' })),
    h('p', { class: 'muted sf-small sa-intro' }, t('a.camp.intro')),
    chains, box]);
}
