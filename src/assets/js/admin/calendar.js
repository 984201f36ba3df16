// admin/calendar.js — 节假日日历 (#/a/calendar): the years the deadlines can count, where each comes
// from, the years missing; uploading one.
//
// Test ids (stable, for tests/e2e):
//   calendar-years calendar-row (data-year) calendar-missing calendar-view
//   calendar-upload

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { loading, errorState } from '../core/states.js';
import { table, td, btn, adminPage, head } from './frame.js';
import { uploadDialog } from './calendar-upload.js';

export async function calendarPage() {
  const box = h('div', null, loading());
  async function load() {
    box.replaceChildren(loading());
    try {
      const r = await api('GET', '/calendar/years');
      const years = (r.years || []).slice().sort((a, b) => b.year - a.year);
      box.replaceChildren(
        r.missing && r.missing.length ? h('div', { class: 'notice notice-warn sa-missing', role: 'alert', 'data-testid': 'calendar-missing' }, icon('alert'),
          h('span', null, t('a.cal.missing', { years: r.missing.join('、') }))) : null,
        table('calendar-years', [t('a.cal.year'), t('a.cal.source'), { label: t('a.cal.holidays'), cls: 'num' }, { label: t('a.common.actions'), cls: 'sa-actions' }],
          h('tbody', null, years.map((y) => h('tr', { 'data-testid': 'calendar-row', 'data-year': String(y.year) },
            td(String(y.year), 'sa-name'), td(t(`a.cal.src.${y.source}`)), td(String((y.holidays || []).length), 'num'),
            td(h('a', { class: 'btn btn-ghost btn-small', href: `#/a/calendar/${y.year}`, 'data-testid': 'calendar-view' }, t('a.cal.view')), 'sa-actions'))))));
      return r;
    } catch (err) { box.replaceChildren(errorState(err, load)); return null; }
  }
  const pending = load();
  const up = btn(t('a.cal.upload'), async () => {
    const r = await pending;
    const missing = r && r.missing && r.missing[0];
    const next = missing || (r && r.years && r.years.length ? Math.max(...r.years.map((y) => y.year)) + 1 : new Date().getFullYear() + 1);
    const saved = await uploadDialog(next, null);
    if (saved) load();
  }, { cls: 'btn-primary btn-small', testid: 'calendar-upload', ic: 'plus' });
  return adminPage(t('a.cal.title'), [head(t('a.cal.title'), up), box]);
}
