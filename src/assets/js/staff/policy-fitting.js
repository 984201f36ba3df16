// staff/policy-fitting.js — the enterprises a policy fits (#/s/policies/:id/enterprises?fit=
// &grant=1: its department's cadres, dispatchers, administrators — the policy's see_fitting):
// "these 37 enterprises fit", counted (符合, 可能符合, 已告知, 已申报) and listed page by page,
// those that fit first; each with what its information leaves unknown, 待核实 when the
// enterprise changed it and no one has confirmed it, whether it was told (pushed, explained on
// a visit) and its application. For a 免申即享 policy in force (`grant`), checkboxes and the
// grant: the amount in 元 and a note, in one step, then what was granted and what was not, why.
//
// Test ids (stable, for tests/e2e):
//   fitting-page fitting-policy fitting-counts fitting-count (data-key fits|may_fit|told|applied)
//   fitting-filter-all fitting-filter-fits fitting-filter-may_fit fitting-list fitting-item
//   (data-id, data-fit, data-application) fitting-name fitting-fit fitting-unknown fitting-unverified
//   fitting-told fitting-application fitting-check fitting-select-page fitting-selected
//   fitting-grant fitting-grant-note grant-amount grant-note (form-dialog data-action grant)
//   grant-result grant-result-granted grant-result-skipped grant-skipped-item
//   (load-more list-end: desk/paged-list.js)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { session } from '../core/session.js';
import { toast } from '../core/feedback.js';
import { loading, errorState } from '../core/states.js';
import { openDialog } from '../core/dialogs.js';
import { field } from '../core/forms.js';
import { segmented } from '../core/controls.js';
import { pagedList, setHashQuery } from '../desk/paged-list.js';
import { formDialog, textInput, textArea } from '../desk/form-dialog.js';
import { localError } from '../desk/validation.js';
import {
  policyHref, applicationHref, policyStatusTag, freeGrantTag, appStatusTag, fmtYuan, yuanToFen, fenToYuanText,
} from './policy-common.js';

const PAGE = 50;

const REASONS = [
  [/does not fit/, 'ps.grant.reason.notFit'],
  [/application .*already/, 'ps.grant.reason.exists'],
  [/no such enterprise/, 'ps.grant.reason.unknown'],
];
function reasonText(reason) {
  const hit = REASONS.find(([re]) => re.test(reason || ''));
  return t(hit ? hit[1] : 'ps.grant.reason.other');
}

/** The grant's answer, shown until closed. */
function grantResult(r, names) {
  const granted = r.granted || [];
  const skipped = r.skipped || [];
  return openDialog((dlg, finish) => {
    dlg.classList.add('sf-dialog');
    dlg.setAttribute('data-testid', 'grant-result');
    dlg.append(h('div', { class: 'sf-form' },
      h('div', { class: 'sf-dialog-head' }, h('h2', { class: 'sf-dialog-title' }, t('ps.grant.done'))),
      h('div', { class: 'dialog-body sf-dialog-body' },
        h('p', { class: 'ps-grant-line ps-grant-ok', 'data-testid': 'grant-result-granted', 'data-count': String(granted.length) }, icon('check'), t('ps.grant.granted', { n: granted.length })),
        granted.length ? h('ul', { class: 'ps-grant-list' }, granted.map((a) => h('li', null,
          h('a', { href: applicationHref(a.id), onclick: () => finish(null) }, a.enterprise_name || names.get(a.enterprise_id) || a.enterprise_id),
          h('span', { class: 'muted' }, ` ${fmtYuan(a.approved_fen)}`)))) : null,
        skipped.length ? [
          h('p', { class: 'ps-grant-line ps-grant-skip', 'data-testid': 'grant-result-skipped', 'data-count': String(skipped.length) }, icon('alert'), t('ps.grant.skipped', { n: skipped.length })),
          h('ul', { class: 'ps-grant-list' }, skipped.map((s) => h('li', { 'data-testid': 'grant-skipped-item' },
            h('span', null, names.get(s.enterprise_id) || s.enterprise_id), h('span', { class: 'muted' }, `：${reasonText(s.reason)}`)))),
        ] : null),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'dialog-ok', onclick: () => finish(null) }, t('common.ok')))));
  });
}

export async function fittingPage({ id, query }) {
  const root = h('div', { class: 'ps-fitting', 'data-testid': 'fitting-page' }, loading());
  let fit = ['fits', 'may_fit'].includes(query.fit) ? query.fit : '';
  const selected = new Set();
  const names = new Map();
  let policy;
  try {
    policy = await api('GET', `/policies/${encodeURIComponent(id)}`);
  } catch (err) {
    root.replaceChildren(errorState(err));
    return page({ title: t('ps.fit.title'), back: () => navigate(policyHref(id)), body: root, wide: true, className: 'sf-page ps-fitpage' });
  }
  const mayGrant = (policy.allowed || []).includes('grant');
  const seesNames = session.role() === 'admin' || session.role() === 'dispatcher';

  const countsBox = h('div', { class: 'ps-counts', 'data-testid': 'fitting-counts' });
  const drawCounts = (c) => {
    const item = (key, value, cls) => h('div', { class: ['ps-count', cls], 'data-testid': 'fitting-count', 'data-key': key },
      h('span', { class: 'ps-count-value' }, String(value ?? 0)), h('span', { class: 'ps-count-label' }, t(`ps.fit.${key}`)));
    countsBox.replaceChildren(item('fits', c.fits, 'is-main'), item('may_fit', c.may_fit), item('told', c.told), item('applied', c.applied));
    countsBox.setAttribute('aria-label', t('ps.fit.counts', { fits: c.fits, may: c.may_fit, told: c.told, applied: c.applied }));
  };

  const selectedLabel = h('span', { class: 'ps-selected', 'data-testid': 'fitting-selected', 'aria-live': 'polite' });
  const grantBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'fitting-grant', onclick: () => grant() }, icon('check'), t('ps.fit.grant'));
  const pageBox = h('input', { type: 'checkbox', 'data-testid': 'fitting-select-page', onchange: (e) => selectPage(e.target.checked) });
  const drawSelected = () => {
    selectedLabel.textContent = t('ps.fit.selected', { n: selected.size });
    grantBtn.disabled = selected.size === 0;
    const boxes = [...root.querySelectorAll('[data-testid="fitting-check"]:not(:disabled)')];
    pageBox.checked = boxes.length > 0 && boxes.every((b) => b.checked);
    pageBox.indeterminate = !pageBox.checked && boxes.some((b) => b.checked);
  };
  const selectPage = (on) => {
    for (const b of root.querySelectorAll('[data-testid="fitting-check"]:not(:disabled)')) {
      b.checked = on;
      if (on) selected.add(b.value); else selected.delete(b.value);
    }
    drawSelected();
  };
  const grantBar = mayGrant ? h('div', { class: 'actionbar sf-actionbar ps-grantbar' },
    h('label', { class: 'sf-check ps-selectpage' }, pageBox, h('span', null, t('ps.fit.selectPage'))),
    selectedLabel, grantBtn) : null;

  function item(e) {
    names.set(e.enterprise_id, e.name);
    const grantable = mayGrant && (!e.application_status || e.application_status === 'refused');
    const box = mayGrant ? h('input', { type: 'checkbox', class: 'ps-check', value: e.enterprise_id, 'data-testid': 'fitting-check', disabled: !grantable,
      checked: grantable && selected.has(e.enterprise_id), 'aria-label': t('ps.fit.check', { name: e.name }),
      onchange: (ev) => { if (ev.target.checked) selected.add(e.enterprise_id); else selected.delete(e.enterprise_id); drawSelected(); } }) : null;
    const told = [];
    if (e.pushed) told.push(t('ps.fit.pushed'));
    if (e.explained) told.push(t('ps.fit.explained'));
    const nameNode = seesNames
      ? h('a', { class: 'ps-ent-name', href: `#/c/enterprises/${encodeURIComponent(e.enterprise_id)}`, 'data-testid': 'fitting-name' }, e.name)
      : h('span', { class: 'ps-ent-name', 'data-testid': 'fitting-name' }, e.name);
    return h('li', { class: ['ps-fit-item', box && 'has-check'], 'data-testid': 'fitting-item', 'data-id': e.enterprise_id, 'data-fit': e.fit, 'data-application': e.application_status || '' },
      box ? h('label', { class: 'ps-check-wrap' }, box) : null,
      h('div', { class: 'ps-fit-main' },
        h('div', { class: 'ps-fit-head' },
          nameNode,
          e.verified ? null : h('span', { class: 'tag tag-warn', title: t('ps.fit.unverifiedTitle'), 'data-testid': 'fitting-unverified' }, t('ps.fit.unverified'))),
        h('div', { class: 'ps-fit-meta' },
          h('span', { class: ['tag', e.fit === 'fits' ? 'ps-fit-fits' : 'ps-fit-may'], 'data-testid': 'fitting-fit', 'data-fit': e.fit }, t(`ps.fit.${e.fit}`)),
          (e.unknown || []).length ? h('span', { class: 'sf-small ps-unknown', 'data-testid': 'fitting-unknown' },
            t('ps.fit.unknown', { list: e.unknown.map((u) => t(`ps.criterion.${u}`)).join('、') })) : null,
          h('span', { class: ['sf-small', told.length ? 'ps-told' : 'muted'], 'data-testid': 'fitting-told', 'data-told': told.length ? '1' : '0' },
            told.length ? told.join(' · ') : t('ps.fit.notTold')),
          e.application_id ? h('a', { class: 'ps-fit-app', href: applicationHref(e.application_id), 'data-testid': 'fitting-application' },
            t('ps.fit.applied'), appStatusTag(e.application_status)) : null)));
  }

  const listBox = h('div', { class: 'sf-listbox' });
  let list = null;
  function go() {
    setHashQuery({ fit, grant: query.grant });
    list = pagedList({
      testid: 'fitting-list',
      listTag: 'ul',
      listClass: 'ps-fit-list',
      emptyText: t('ps.fit.empty'),
      load: async (cursor) => {
        const r = await api('GET', `/policies/${encodeURIComponent(id)}/enterprises`, null, { query: { fit: fit || undefined, limit: PAGE, cursor } });
        drawCounts(r.counts || {});
        return r;
      },
      item,
      onItems: () => drawSelected(),
    });
    listBox.replaceChildren(list.element);
  }

  async function grant() {
    if (!selected.size) { toast(t('ps.grant.noneSelected'), 'warn'); return; }
    const b = policy.benefit || {};
    const ids = [...selected];
    const result = await formDialog({
      title: t('ps.grant.title'),
      action: 'grant',
      okText: t('ps.grant.ok'),
      fields: [
        h('p', { class: 'sf-dialog-lead' }, t('ps.grant.lead', { n: ids.length, title: policy.title })),
        field(t('ps.grant.amount'), textInput('amount_fen', { inputmode: 'decimal', testid: 'grant-amount', value: b.kind === 'amount' ? fenToYuanText(b.amount_fen) : '' }), t('ps.grant.amountHint'), { required: true }),
        field(t('ps.grant.note'), textArea('note', { rows: 2, max: 500, testid: 'grant-note' })),
      ],
      submit: async (form, v) => {
        const fen = yuanToFen(v.amount_fen);
        if (fen === null) throw localError({ amount_fen: t('s.required') });
        if (Number.isNaN(fen)) throw localError({ amount_fen: t('ps.f.badAmount') });
        return api('POST', `/policies/${encodeURIComponent(id)}/grant`, { enterprise_ids: ids, amount_fen: fen, note: v.note.trim() || undefined });
      },
    });
    if (!result) return;
    selected.clear();
    go();
    await grantResult(result, names);
  }

  const head = h('section', { class: 'card ps-fit-head-card' },
    h('div', { class: 'sf-head-top' },
      h('a', { class: 'ps-fit-policy', href: policyHref(id), 'data-testid': 'fitting-policy' }, policy.title),
      h('span', { class: 'sf-card-tags' }, policy.free_grant ? freeGrantTag() : null, policyStatusTag(policy))),
    countsBox,
    h('div', { class: 'ps-fit-tools' },
      segmented({
        name: 'fit', label: t('ps.fit.filter'), value: fit,
        options: [{ value: '', label: t('ps.fit.all'), testid: 'fitting-filter-all' },
          { value: 'fits', label: t('ps.fit.fits'), testid: 'fitting-filter-fits' },
          { value: 'may_fit', label: t('ps.fit.may_fit'), testid: 'fitting-filter-may_fit' }],
        onChange: (v) => { fit = v; go(); },
      })),
    mayGrant ? h('p', { class: 'muted sf-small ps-grant-hint' }, t('ps.fit.grantHint'))
      : (policy.free_grant ? h('p', { class: 'muted sf-small ps-grant-hint', 'data-testid': 'fitting-grant-note' }, t('ps.fit.notGrantable')) : null));
  root.classList.toggle('has-grantbar', !!grantBar);
  root.replaceChildren(...[head, listBox, grantBar].filter(Boolean));
  go();
  drawSelected();
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), onclick: () => go() }, icon('refresh'));
  return page({ title: t('ps.fit.title'), back: () => navigate(policyHref(id)), actions: refreshBtn, body: root, wide: true, className: 'sf-page ps-fitpage' });
}

