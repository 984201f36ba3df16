// admin/traits-import.js — importing enterprises' information (企业信息, what policy matching reads;
// #/a/enterprises/traits): the template (统一社会信用代码, 规上/规下, 企业规模, 企业资质, 从业人数,
// 营业收入, 成立日期, with a sheet of notes), a check (dry run) and the import, each with its report:
// the rows read, enterprises updated, unchanged, and every refused row with its column and reason
// (the server's English reasons said in Chinese here). Row by row like the pairing sheet
// (pairing-import.js): good rows are written, verified, refused ones change nothing.
//
// Test ids (stable, for tests/e2e):
//   traits-template traits-file traits-dry-run traits-submit traits-summary traits-refused
//   traits-refused-row

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t, lang } from '../core/i18n.js';
import { api, download } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { loading } from '../core/states.js';
import { invalidate } from '../desk/directory.js';
import { zhMsg } from '../desk/validation.js';
import { btn, table, td, adminPage, wideScreen } from './frame.js';

/** Chinese for the import's reasons (service::traits_import); the rest as zhMsg says them. */
const ZH = [
  [/^is required$/, () => '必填'],
  [/^the same enterprise as row (\d+)$/, (m) => `与第 ${m[1]} 行是同一家企业`],
  [/^no enterprise has the credit code (\S+)$/, (m) => `没有统一社会信用代码为 ${m[1]} 的企业`],
  [/^(.+) is not one of (.+)$/, (m) => `“${m[1]}”不是可填的值，可填：${m[2]}`],
  [/^(.+) \(none held\) cannot be listed with qualifications$/, (m) => `“${m[1]}”表示不具备资质，不能与资质同时填写`],
  [/^no qualification is named (.+); the qualifications are (.*), or (\S+) for none$/,
    (m) => `没有名为“${m[1]}”的资质；可填：${m[2] || '（尚未设置资质）'}，或“${m[3]}”`],
  [/^(.+) is not a whole number from 0 to ([\d,]+)$/, (m) => `“${m[1]}”不是 0 至 ${m[2]} 之间的整数`],
  [/^(.+) is not a date: give YYYY-MM-DD, or a date cell$/, (m) => `“${m[1]}”不是日期：请填 YYYY-MM-DD，或使用日期单元格`],
  [/^(.+) is after today$/, (m) => `${m[1]} 晚于今天`],
];

function reason(msg) {
  if (lang() === 'en' || typeof msg !== 'string') return msg;
  for (const [re, fn] of ZH) {
    const m = re.exec(msg);
    if (m) return fn(m);
  }
  return zhMsg(msg);
}

/** The refused cells: row, column, reason; on a phone the column heads its reason, so the
 * reason is not squeezed beside a column name that cannot wrap. */
function refusedTable(refused) {
  const wide = wideScreen.matches;
  const headers = [{ label: t('a.imp.row'), cls: 'num' }, ...(wide ? [t('a.imp.column')] : []), t('ti.reason')];
  return table('traits-refused', headers, h('tbody', null, refused.map((x) => h('tr', { 'data-testid': 'traits-refused-row' },
    td(String(x.row ?? ''), 'num'),
    wide ? td(x.column || '—', 'sa-nowrap') : null,
    td(wide ? reason(x.message || '') : [h('strong', null, x.column || '—'), h('br'), reason(x.message || '')], 'sa-name')))));
}

function report(r) {
  const refused = r.refused || [];
  const rowsRefused = new Set(refused.map((x) => x.row)).size;
  const counts = t(r.dry_run ? 'ti.dryReport' : 'ti.report', { rows: r.rows ?? 0, u: r.updated ?? 0, n: r.unchanged ?? 0, x: rowsRefused });
  return [
    h('div', { class: ['notice', refused.length ? 'notice-warn' : 'notice-success'], role: refused.length ? 'alert' : null, 'data-testid': 'traits-summary' },
      icon(refused.length ? 'alert' : 'check'), h('span', null, counts)),
    refused.length ? refusedTable(refused) : null,
  ];
}

export function traitsImportPage() {
  let file = null;
  let checked = null; // the file after a dry run
  const fileIn = h('input', { type: 'file', accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', class: 'sr-only', 'data-testid': 'traits-file', id: 'sa-traits-file' });
  const fileName = h('span', { class: 'sa-file-name' }, t('a.imp.noFile'));
  const result = h('div', { class: 'sa-result', 'aria-live': 'polite' });
  const dryBtn = btn(t('ti.dryRun'), () => run(true), { cls: 'btn-primary', testid: 'traits-dry-run', ic: 'check', disabled: true });
  const goBtn = btn(t('ti.submit'), () => run(false), { cls: 'btn-primary', testid: 'traits-submit', disabled: true });

  fileIn.addEventListener('change', () => {
    file = fileIn.files && fileIn.files[0] ? fileIn.files[0] : null;
    checked = null;
    goBtn.disabled = true;
    result.replaceChildren();
    if (file && !/\.xlsx$/i.test(file.name)) {
      result.replaceChildren(h('div', { class: 'form-error', role: 'alert' }, t('a.imp.needXlsx')));
      file = null;
    }
    fileName.textContent = file ? `${file.name}（${Math.max(1, Math.round(file.size / 1024))} KB）` : t('a.imp.noFile');
    dryBtn.disabled = !file;
  });

  async function run(dry) {
    if (!file) return;
    if (!dry) {
      if (checked !== file) return;
      if (!(await confirmDialog(t('ti.confirm'), { okText: t('ti.submit') }))) return;
    }
    dryBtn.disabled = true; goBtn.disabled = true;
    result.replaceChildren(loading(dry ? t('a.imp.checking') : t('a.imp.importing')));
    const fd = new FormData();
    fd.append('file', file, file.name);
    try {
      const r = await api('POST', '/enterprises/traits/import', fd, { query: { dry_run: dry ? 'true' : 'false' } });
      result.replaceChildren(...report(r).filter(Boolean));
      if (dry) {
        checked = file;
        goBtn.disabled = !(r.updated > 0);
      } else {
        checked = null;
        invalidate('enterprise:');
        result.append(h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises' }, t('ti.back')));
        toast(t('ti.done', { u: r.updated ?? 0 }), 'success');
      }
    } catch (err) {
      checked = null;
      result.replaceChildren(h('div', { class: 'form-error', role: 'alert', 'data-testid': 'traits-summary' }, errorMessage(err)));
    } finally {
      dryBtn.disabled = !file;
    }
  }

  const templateBtn = btn(t('a.imp.template'), (e) => {
    const b = e.currentTarget; b.disabled = true;
    download('/enterprises/traits-template.xlsx').catch((er) => toast(errorMessage(er), 'error')).finally(() => { b.disabled = false; });
  }, { testid: 'traits-template', ic: 'download' });

  const body = h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('ti.title')),
    h('ol', { class: 'sa-steps' },
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '1'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step1')), h('p', { class: 'muted sf-small' }, t('ti.step1Hint')), templateBtn)),
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '2'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step2')),
        h('div', { class: 'sa-file' }, h('label', { class: 'btn btn-ghost btn-small', for: 'sa-traits-file' }, icon('file'), t('a.imp.pick')), fileIn, fileName))),
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '3'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('ti.step3')), h('p', { class: 'muted sf-small' }, t('ti.step3Hint')),
        h('div', { class: 'btn-row' }, dryBtn, goBtn), result))));
  return adminPage(t('ti.pageTitle'), body, { back: '#/a/enterprises' });
}
