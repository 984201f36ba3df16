// admin/calendar-year.js — one year of the holiday calendar (#/a/calendar/:year): its holidays and
// its file; replacing it.
//
// Test ids (stable, for tests/e2e):
//   calendar-upload calendar-holidays calendar-toml

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { navigate } from '../core/router.js';
import { empty } from '../core/states.js';
import { adminPage, btn, head } from './frame.js';
import { toToml } from './calendar-toml.js';
import { uploadDialog, holidaysTable } from './calendar-upload.js';

export async function calendarYearPage(params) {
  const year = Number(params.year);
  const r = await api('GET', '/calendar/years');
  const y = (r.years || []).find((x) => x.year === year);
  if (!y) {
    return adminPage(t('a.cal.yearTitle', { year: params.year }), [
      empty(t('a.cal.notFound', { year: params.year }), btn(t('a.cal.upload'), async () => { if (await uploadDialog(year, null)) navigate(`#/a/calendar/${year}`); }, { cls: 'btn-primary btn-small', testid: 'calendar-upload' }))], { back: '#/a/calendar' });
  }
  const replace = btn(t('a.cal.replace'), async () => { if (await uploadDialog(year, y)) navigate(`#/a/calendar/${year}`); }, { cls: 'btn-primary btn-small', testid: 'calendar-upload', ic: 'refresh' });
  return adminPage(t('a.cal.yearTitle', { year }), [
    head(`${t('a.cal.yearTitle', { year })} · ${t(`a.cal.src.${y.source}`)}`, replace),
    h('section', { class: 'card' }, holidaysTable(y.holidays)),
    h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('a.cal.fileTitle')), h('pre', { class: 'sa-toml', 'data-testid': 'calendar-toml' }, toToml(year, y.holidays))),
  ], { back: '#/a/calendar' });
}
