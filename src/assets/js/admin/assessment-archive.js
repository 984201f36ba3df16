// admin/assessment-archive.js — the dashboard's archive of monthly assessments (每月评估,
// GET /assessments): each published version with its month, when and by whom it was published
// and why (a republished one), and its workbook as published; 重新发布 publishes a month again
// as computed now, with a note (POST /assessments/{month}/publish). The months are archived by
// the service at the start of the next month (docs/api.md).
//
// Test ids (stable, for tests/e2e):
//   assessment-archive assessment-row (data-month, data-version) assessment-download
//   assessment-republish assessment-note assessment-empty

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api, download } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { field } from '../core/forms.js';
import { loading, errorState, empty } from '../core/states.js';
import { checkFields } from '../desk/validation.js';
import { formDialog, textArea } from '../desk/form-dialog.js';
import { fmtDateTime } from '../core/format.js';
import { table, td, btn } from './frame.js';

/** Versions shown (the newest). */
const SHOWN = 12;

export function assessmentArchive() {
  const box = h('div', null, loading());
  const card = h('section', { class: 'card', 'data-testid': 'assessment-archive' },
    h('h3', { class: 'card-title' }, t('a.arch.title')),
    h('p', { class: 'muted sf-small' }, t('a.arch.hint')),
    box);
  const fetchOne = async (b, v) => {
    b.disabled = true;
    try {
      await download(`/stats/assessment.xlsx?month=${encodeURIComponent(v.month)}&version=${v.version}`);
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally { b.disabled = false; }
  };
  const republish = async (v) => {
    const r = await formDialog({
      title: t('a.arch.republishTitle', { month: v.month }), okText: t('a.arch.republish'), action: 'assessment-republish',
      fields: [field(t('a.arch.note'), textArea('note', { max: 2000, rows: 3, testid: 'assessment-note', placeholder: t('a.arch.notePlaceholder') }), t('a.arch.noteHint'), { required: true })],
      submit: async (form, values) => {
        checkFields(values, { note: { required: true, max: 2000 } });
        return api('POST', `/assessments/${encodeURIComponent(v.month)}/publish`, { note: values.note.trim() });
      },
    });
    if (r) { toast(t('a.arch.published', { month: r.month, version: r.version }), 'success'); load(); }
  };
  const load = async () => {
    box.replaceChildren(loading());
    try {
      const r = await api('GET', '/assessments');
      const items = (r.items || []).slice(0, SHOWN);
      if (!items.length) { box.replaceChildren(h('div', { 'data-testid': 'assessment-empty' }, empty(t('a.arch.none')))); return; }
      const newest = new Set();
      box.replaceChildren(table('assessment-table', [t('a.arch.month'), t('a.arch.version'), t('a.arch.publishedAt'), t('a.arch.noteCol'), ''],
        h('tbody', null, items.map((v) => {
          const first = !newest.has(v.month);
          newest.add(v.month);
          return h('tr', { 'data-testid': 'assessment-row', 'data-month': v.month, 'data-version': String(v.version) },
            td(v.month, 'sa-nowrap'),
            td(t('a.arch.versionN', { n: v.version }), 'sa-nowrap'),
            td(`${fmtDateTime(v.published_at)} · ${v.published_by ? t('a.arch.byAdmin') : t('a.arch.byService')}`, 'sa-nowrap'),
            td(v.note || '—', 'sa-name'),
            td(h('span', { class: 'sa-inline' },
              btn(t('a.arch.download'), (e) => fetchOne(e.currentTarget, v), { testid: 'assessment-download', ic: 'download', cls: 'btn-small' }),
              first ? btn(t('a.arch.republish'), () => republish(v), { testid: 'assessment-republish', cls: 'btn-ghost btn-small' }) : null), 'sa-nowrap'));
        }))));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    }
  };
  load();
  return card;
}
