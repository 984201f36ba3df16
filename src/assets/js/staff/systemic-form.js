// staff/systemic-form.js — the form that opens or edits a systemic issue (title, analysis,
// measures, lead department), and the smaller one of a lead department's cadre (the measures):
// issueForm({issue}) → Promise<the issue as saved | null>. Edits send only what changed, with
// If-Match.
//
// Test ids (stable, for tests/e2e):
//   systemic-form (data-action create|edit|measures) systemic-title systemic-analysis
//   systemic-measures systemic-lead

import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { field } from '../core/forms.js';
import { directory, deptSelectOptions } from '../desk/directory.js';
import { formDialog, textArea, textInput, selectInput } from '../desk/form-dialog.js';

const TITLE_MAX = 100;
const TEXT_MAX = 5000;

/** measuresOnly: the cadre's form (the measures alone). */
export async function issueForm({ issue, measuresOnly } = {}) {
  const depts = measuresOnly ? [] : await directory.departments().catch(() => []);
  const fields = measuresOnly ? [
    field(t('sy.f.measures'), textArea('measures', { rows: 6, max: TEXT_MAX, testid: 'systemic-measures', value: issue.measures }), t('sy.f.measuresHint')),
  ] : [
    field(t('sy.f.title'), textInput('title', { max: TITLE_MAX, testid: 'systemic-title', value: issue ? issue.title : '' })),
    field(t('sy.f.lead'), selectInput('lead_department_id', deptSelectOptions(depts, { selected: issue ? issue.lead_department_id : '', placeholder: t('sy.f.pickLead') }), { testid: 'systemic-lead' })),
    field(t('sy.f.analysis'), textArea('analysis', { rows: 5, max: TEXT_MAX, testid: 'systemic-analysis', value: issue ? issue.analysis : '' }), t('sy.f.analysisHint')),
    field(t('sy.f.measures'), textArea('measures', { rows: 4, max: TEXT_MAX, testid: 'systemic-measures', value: issue ? issue.measures : '' }), t('sy.f.measuresHint')),
  ];
  return formDialog({
    title: issue ? (measuresOnly ? t('sy.editMeasures') : t('sy.edit')) : t('sy.new'),
    testid: 'systemic-form',
    action: issue ? (measuresOnly ? 'measures' : 'edit') : 'create',
    wide: !measuresOnly,
    fields,
    submit: async (form, v) => {
      if (!issue) return api('POST', '/systemic-issues', { title: v.title, analysis: v.analysis, measures: v.measures || null, lead_department_id: v.lead_department_id });
      const changed = {};
      for (const k of measuresOnly ? ['measures'] : ['title', 'analysis', 'measures', 'lead_department_id']) {
        if ((v[k] ?? '') !== (issue[k] ?? '')) changed[k] = v[k];
      }
      if (!Object.keys(changed).length) return issue;
      return api('PATCH', `/systemic-issues/${encodeURIComponent(issue.id)}`, changed, { headers: { 'If-Match': `"${issue.version}"` } });
    },
  });
}
