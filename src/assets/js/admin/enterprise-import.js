// admin/enterprise-import.js — importing enterprises from a workbook (#/a/enterprises/import):
// the template, a dry run that lists every bad row, then the import.
//
// Test ids (stable, for tests/e2e):
//   import-template import-file import-dry-run import-submit import-summary
//   import-errors import-error-row

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api, download } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { loading } from '../core/states.js';
import { invalidate } from '../desk/directory.js';
import { zhMsg } from '../desk/validation.js';
import { btn, table, td, adminPage } from './frame.js';

export function importPage() {
  let file = null;
  let checked = null; // {file, created, updated} after a clean dry run
  const fileIn = h('input', { type: 'file', accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', class: 'sr-only', 'data-testid': 'import-file', id: 'sa-import-file' });
  const fileName = h('span', { class: 'sa-file-name' }, t('a.imp.noFile'));
  const result = h('div', { class: 'sa-result', 'aria-live': 'polite' });
  const dryBtn = btn(t('a.imp.dryRun'), () => run(true), { cls: 'btn-primary', testid: 'import-dry-run', ic: 'check', disabled: true });
  const goBtn = btn(t('a.imp.submit'), () => run(false), { cls: 'btn-primary', testid: 'import-submit', disabled: true });

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
      if (!checked || checked.file !== file) return;
      if (!(await confirmDialog(t('a.imp.confirm', { c: checked.created, u: checked.updated }), { okText: t('a.imp.submit') }))) return;
    }
    dryBtn.disabled = true; goBtn.disabled = true;
    result.replaceChildren(loading(dry ? t('a.imp.checking') : t('a.imp.importing')));
    const fd = new FormData();
    fd.append('file', file, file.name);
    try {
      const r = await api('POST', '/enterprises/import', fd, { query: { dry_run: dry ? 'true' : 'false' } });
      const created = r.created ?? 0; const updated = r.updated ?? 0;
      if (dry) {
        checked = { file, created, updated };
        result.replaceChildren(h('div', { class: 'notice notice-success', 'data-testid': 'import-summary' }, icon('check'), h('span', null, t('a.imp.dryOk', { c: created, u: updated }))));
        goBtn.disabled = false;
      } else {
        checked = null;
        invalidate('enterprise:');
        result.replaceChildren(h('div', { class: 'notice notice-success', 'data-testid': 'import-summary' }, icon('check'), h('span', null, t('a.imp.done', { c: created, u: updated }))),
          h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises' }, t('a.ent.title')));
        toast(t('a.imp.done', { c: created, u: updated }), 'success');
      }
    } catch (err) {
      checked = null;
      const rows = err instanceof ApiError ? err.rows : null;
      if (rows && rows.length) {
        result.replaceChildren(
          h('div', { class: 'notice notice-warn', role: 'alert', 'data-testid': 'import-summary' }, icon('alert'), h('span', null, t('a.imp.rejected', { n: rows.length }))),
          table('import-errors', [{ label: t('a.imp.row'), cls: 'num' }, t('a.imp.column'), t('a.imp.message')],
            h('tbody', null, rows.map((x) => h('tr', { 'data-testid': 'import-error-row' }, td(String(x.row ?? ''), 'num'), td(x.column || '—'), td(zhMsg(x.message || '')))))));
      } else {
        result.replaceChildren(h('div', { class: 'form-error', role: 'alert', 'data-testid': 'import-summary' }, errorMessage(err)));
      }
    } finally {
      dryBtn.disabled = !file;
    }
  }

  const body = h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('a.imp.title')),
    h('ol', { class: 'sa-steps' },
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '1'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step1')), h('p', { class: 'muted sf-small' }, t('a.imp.step1Hint')),
        btn(t('a.imp.template'), (e) => { const b = e.currentTarget; b.disabled = true; download('/enterprises/import-template.xlsx').catch((er) => toast(errorMessage(er), 'error')).finally(() => { b.disabled = false; }); },
          { testid: 'import-template', ic: 'download' }))),
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '2'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step2')),
        h('div', { class: 'sa-file' }, h('label', { class: 'btn btn-ghost btn-small', for: 'sa-import-file' }, icon('file'), t('a.imp.pick')), fileIn, fileName))),
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '3'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step3')), h('p', { class: 'muted sf-small' }, t('a.imp.step3Hint')),
        h('div', { class: 'btn-row' }, dryBtn, goBtn), result))));
  return adminPage(t('a.ent.import'), body, { back: '#/a/enterprises' });
}
