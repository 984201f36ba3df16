// admin/calendar-upload.js — uploading or replacing a year of the holiday calendar: a dialog with
// the TOML (typed or from a file), a preview of its holidays (holidaysTable) and a confirmation.
//
// Test ids (stable, for tests/e2e):
//   calendar-year calendar-toml-input calendar-file calendar-parse
//   calendar-preview calendar-holidays

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { field, clearFieldErrors, showFieldErrors } from '../core/forms.js';
import { localError, checkFields } from '../desk/validation.js';
import { textInput, formDialog } from '../desk/form-dialog.js';
import { validYmd } from '../desk/dates.js';
import { table, td } from './frame.js';
import { toToml, parseCalendarToml } from './calendar-toml.js';

export function holidaysTable(holidays) {
  const span = (a, b) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000) + 1;
  return table('calendar-holidays', [t('a.cal.h.name'), t('a.cal.h.from'), t('a.cal.h.to'), { label: t('a.cal.h.days'), cls: 'num' }, t('a.cal.h.workdays')],
    h('tbody', null, (holidays || []).map((x) => h('tr', null, td(x.name, 'sa-name'), td(x.from, 'mono'), td(x.to, 'mono'),
      td(validYmd(x.from) && validYmd(x.to) ? String(span(x.from, x.to)) : '', 'num'), td((x.workdays || []).join('、') || '—')))));
}

export async function uploadDialog(year, existing) {
  const yearIn = textInput('year', { type: 'number', testid: 'calendar-year', value: String(year), inputmode: 'numeric', min: '2000', maxNum: '2100' });
  const ta = h('textarea', { name: 'toml', class: 'textarea sa-toml-input', rows: '14', spellcheck: 'false', 'data-testid': 'calendar-toml-input', 'data-field': 'holidays',
    value: existing ? toToml(year, existing.holidays) : toToml(year, []).replace(/\n$/, '\n\n[[holidays]]\nname = "元旦"\nfrom = ""\nto = ""\n') });
  const fileIn = h('input', { type: 'file', accept: '.toml,text/plain', class: 'sr-only', id: 'sa-cal-file', 'data-testid': 'calendar-file' });
  const preview = h('div', { 'data-testid': 'calendar-preview' });
  fileIn.addEventListener('change', async () => {
    const f = fileIn.files && fileIn.files[0];
    if (!f) return;
    ta.value = await f.text();
    try { const p = parseCalendarToml(ta.value); if (p.year) yearIn.value = String(p.year); } catch { /* shown on preview */ }
  });
  const parse = (form) => {
    clearFieldErrors(form);
    let p;
    try { p = parseCalendarToml(ta.value); } catch (e) {
      throw localError({ holidays: e.line ? t('a.cal.parseError', { line: e.line, msg: e.message }) : e.message });
    }
    if (!p.holidays.length) throw localError({ holidays: t('a.cal.parseEmpty') });
    const y = Number(yearIn.value);
    if (p.year !== undefined && Number(p.year) !== y) throw localError({ year: t('a.cal.yearMismatch') });
    const holidays = p.holidays.map((x) => {
      const o = { name: x.name, from: x.from, to: x.to };
      if (x.workdays && x.workdays.length) o.workdays = x.workdays;
      return o;
    });
    return { year: y, holidays };
  };
  return formDialog({
    title: t('a.cal.uploadTitle'), okText: t('a.cal.save'), wide: true, action: 'calendar-upload',
    fields: [
      h('p', { class: 'muted sf-small' }, t('a.cal.uploadHint')),
      field(t('a.cal.year'), yearIn, null, { required: true }),
      field(t('a.cal.toml'), ta, null, { required: true }),
      h('div', { class: 'btn-row' },
        h('label', { class: 'btn btn-ghost btn-small', for: 'sa-cal-file' }, icon('file'), t('a.cal.pickFile')), fileIn,
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'calendar-parse', onclick: (e) => {
          const form = e.currentTarget.closest('form');
          try { const body = parse(form); preview.replaceChildren(holidaysTable(body.holidays)); } catch (err) { preview.replaceChildren(); showFieldErrors(form, err); }
        } }, t('a.cal.parse'))),
      preview,
    ],
    submit: async (form, v) => {
      checkFields(v, { year: { required: true, int: [2000, 2100] } });
      const body = parse(form);
      preview.replaceChildren(holidaysTable(body.holidays));
      if (!(await confirmDialog(t('a.cal.confirm', { year: body.year, n: body.holidays.length }), { okText: t('a.cal.save') }))) throw Object.assign(new Error('cancelled'), { silent: true });
      const r = await api('PUT', `/calendar/years/${body.year}`, body);
      toast(t('a.cal.saved', { year: body.year }), 'success');
      return r || true;
    },
  });
}
