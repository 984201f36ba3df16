// admin/pairing-import.js — importing the pairing sheet (联点安排, #/a/enterprises/pairings): the
// template (统一社会信用代码, 联络干部, 副联络干部 separated by 、), a check (dry run) and the import,
// each with its report: the rows read, paired, unchanged, and every refused row with its column
// and reason. Unlike the enterprise ledger the import is row by row: good rows are applied and
// refused ones change nothing.
//
// Test ids (stable, for tests/e2e):
//   pairing-template pairing-file pairing-dry-run pairing-submit pairing-summary pairing-refused
//   pairing-refused-row

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api, download } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { confirmDialog } from '../core/dialogs.js';
import { loading } from '../core/states.js';
import { invalidate } from '../desk/directory.js';
import { zhMsg } from '../desk/validation.js';
import { btn, table, td, adminPage } from './frame.js';

function report(r) {
  const refused = r.refused || [];
  const key = r.dry_run ? 'a.pair.dryReport' : 'a.pair.report';
  const counts = t(key, { rows: r.rows ?? 0, p: r.paired ?? 0, u: r.unchanged ?? 0, x: refused.length });
  return [
    h('div', { class: ['notice', refused.length ? 'notice-warn' : 'notice-success'], role: refused.length ? 'alert' : null, 'data-testid': 'pairing-summary' },
      icon(refused.length ? 'alert' : 'check'), h('span', null, counts)),
    refused.length ? table('pairing-refused', [{ label: t('a.imp.row'), cls: 'num' }, t('a.imp.column'), t('a.pair.reason')],
      h('tbody', null, refused.map((x) => h('tr', { 'data-testid': 'pairing-refused-row' },
        td(String(x.row ?? ''), 'num'), td(x.column || '—', 'sa-nowrap'), td(zhMsg(x.message || ''), 'sa-name'))))) : null,
  ];
}

export function pairingImportPage() {
  let file = null;
  let checked = null; // the file after a dry run
  const fileIn = h('input', { type: 'file', accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', class: 'sr-only', 'data-testid': 'pairing-file', id: 'sa-pairing-file' });
  const fileName = h('span', { class: 'sa-file-name' }, t('a.imp.noFile'));
  const result = h('div', { class: 'sa-result', 'aria-live': 'polite' });
  const dryBtn = btn(t('a.pair.dryRun'), () => run(true), { cls: 'btn-primary', testid: 'pairing-dry-run', ic: 'check', disabled: true });
  const goBtn = btn(t('a.pair.submit'), () => run(false), { cls: 'btn-primary', testid: 'pairing-submit', disabled: true });

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
      if (!(await confirmDialog(t('a.pair.confirm'), { okText: t('a.pair.submit') }))) return;
    }
    dryBtn.disabled = true; goBtn.disabled = true;
    result.replaceChildren(loading(dry ? t('a.imp.checking') : t('a.imp.importing')));
    const fd = new FormData();
    fd.append('file', file, file.name);
    try {
      const r = await api('POST', '/enterprises/pairings/import', fd, { query: { dry_run: dry ? 'true' : 'false' } });
      result.replaceChildren(...report(r).filter(Boolean));
      if (dry) {
        checked = file;
        goBtn.disabled = !(r.paired > 0);
      } else {
        checked = null;
        invalidate('enterprise:');
        result.append(h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises' }, t('a.ent.title')));
        toast(t('a.pair.done', { p: r.paired ?? 0 }), 'success');
      }
    } catch (err) {
      checked = null;
      result.replaceChildren(h('div', { class: 'form-error', role: 'alert', 'data-testid': 'pairing-summary' }, errorMessage(err)));
    } finally {
      dryBtn.disabled = !file;
    }
  }

  const templateBtn = btn(t('a.imp.template'), (e) => {
    const b = e.currentTarget; b.disabled = true;
    download('/enterprises/pairings-template.xlsx').catch((er) => toast(errorMessage(er), 'error')).finally(() => { b.disabled = false; });
  }, { testid: 'pairing-template', ic: 'download' });

  const body = h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('a.pair.title')),
    h('ol', { class: 'sa-steps' },
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '1'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step1')), h('p', { class: 'muted sf-small' }, t('a.pair.step1Hint')), templateBtn)),
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '2'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step2')),
        h('div', { class: 'sa-file' }, h('label', { class: 'btn btn-ghost btn-small', for: 'sa-pairing-file' }, icon('file'), t('a.imp.pick')), fileIn, fileName))),
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '3'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.pair.step3')), h('p', { class: 'muted sf-small' }, t('a.pair.step3Hint')),
        h('div', { class: 'btn-row' }, dryBtn, goBtn), result))));
  return adminPage(t('a.pair.pageTitle'), body, { back: '#/a/enterprises' });
}
