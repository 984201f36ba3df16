// staff/enterprise-policies.js — 送政策 on the enterprise's profile and the visit form: the
// enterprise's information that matching reads (企业信息, GET /enterprises/{id}/traits: 规上/规下,
// size, qualifications, employees, revenue, founding day; 待核实 with 核实 when the enterprise
// changed it, 编辑 — a staff edit is verified), the policies it fits or may fit (可享政策, GET
// /enterprises/{id}/policies: what is unknown, whether it was told — pushed, explained on a
// visit — and applied; each opening #/s/policies/:id), the titles of the policies a visit
// explained, and the visit form's picker of policies explained (宣讲政策: those it fits first,
// then the others in force; at most 20).
//
// Test ids (stable, for tests/e2e):
//   profile-traits profile-traits-pending profile-traits-verify profile-traits-edit
//   profile-traits-status profile-trait (data-key; its value profile-trait-value)
//   trait-scale trait-size trait-qualification (data-id) trait-qualification-none trait-employees
//   trait-revenue trait-founded (the dialog's inputs, form-dialog data-action="traits-edit")
//   profile-policies profile-policies-count profile-policies-empty profile-policy (data-id,
//   data-fit) profile-policy-title profile-policy-fit profile-policy-unknown profile-policy-told
//   profile-policy-application (data-status) profile-policies-more
//   profile-visit-policies profile-visit-policy (data-id)
//   visit-policies visit-policy (data-id, data-fit; its checkbox visit-policy-check)
//   visit-policies-more visit-policies-count

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { field } from '../core/forms.js';
import { loading, empty, errorState } from '../core/states.js';
import { fmtDate, fmtDateTime } from '../core/format.js';
import { cached } from '../desk/directory.js';
import { checkFields } from '../desk/validation.js';
import { formDialog, textInput, selectInput } from '../desk/form-dialog.js';
import { todayCN } from '../desk/dates.js';

const SCALES = ['above', 'below'];
const SIZES = ['large', 'medium', 'small', 'micro'];
const BANDS = ['below1m', 'upto5m', 'upto20m', 'upto100m', 'upto400m', 'over400m'];
/** Policies the profile lists before 展开全部. */
const SHOWN_POLICIES = 6;
/** The most policies one visit names (the API's limit). */
const MAX_EXPLAINED = 20;

/** A policy's page (staff/policy pages). */
function policyHref(id) { return `#/s/policies/${encodeURIComponent(id)}`; }

/** The enterprise qualifications the administrator keeps (names by id), cached a few minutes. */
function qualifications() {
  return cached('policy-terms:qualification', () => api('GET', '/policy-terms', null, { query: { kind: 'qualification' } }).then((r) => r.items || []));
}

/** The policies an enterprise fits ('fits') or may fit, those it fits first. */
function enterprisePolicies(id) {
  return api('GET', `/enterprises/${encodeURIComponent(id)}/policies`).then((r) => r.items || []);
}

function kv(key, label, value) {
  const none = value === null || value === undefined || value === '';
  return h('div', { class: 'sf-kv', 'data-testid': 'profile-trait', 'data-key': key },
    h('dt', null, label),
    h('dd', { class: none && 'muted', 'data-testid': 'profile-trait-value' }, none ? t('pf.tr.unset') : value));
}

/** 企业信息: the traits, 待核实 and 核实, 编辑; onChange() after a change (matching may differ). */
export function traitsCard(enterpriseId, { onChange } = {}) {
  const path = `/enterprises/${encodeURIComponent(enterpriseId)}/traits`;
  const head = h('div', { class: 'sa-card-head pf-tr-head' });
  const box = h('div', null, loading());
  const card = h('section', { class: 'card pf-traits', 'data-testid': 'profile-traits' }, head, box);

  const draw = (tr, terms) => {
    const names = new Map(terms.map((q) => [q.id, q.name]));
    const pending = tr.stated && !tr.verified;
    const quals = tr.qualification_ids === null || tr.qualification_ids === undefined ? null
      : tr.qualification_ids.length ? tr.qualification_ids.map((q) => names.get(q) || '—').join('、') : t('pf.tr.noneHeld');
    head.replaceChildren(
      h('div', { class: 'pf-tr-title' }, h('h3', { class: 'card-title' }, t('pf.sec.traits')),
        pending ? h('span', { class: 'tag tag-warn', 'data-testid': 'profile-traits-pending' }, t('pf.tr.pending')) : null),
      h('div', { class: 'pf-tr-actions' },
        pending ? h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-testid': 'profile-traits-verify', onclick: (e) => verify(e.currentTarget) }, icon('check'), t('pf.tr.verify')) : null,
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'profile-traits-edit', onclick: () => edit(tr, terms) }, icon('edit'), t('pf.tr.edit'))));
    // (replaceChildren() would write a null as text: h() drops it.)
    box.replaceChildren(h('div', null,
      tr.stated ? null : h('p', { class: 'muted sf-small pf-note pf-tr-unstated' }, t('pf.tr.notStated')),
      h('dl', { class: 'sf-kvs pf-tr-kvs' },
        kv('scale', t('pf.tr.scale'), tr.scale ? t(`pf.tr.scale.${tr.scale}`) : null),
        kv('size', t('pf.tr.size'), tr.size ? t(`pf.tr.size.${tr.size}`) : null),
        kv('qualifications', t('pf.tr.qualifications'), quals),
        kv('employees', t('pf.tr.employees'), tr.employees === null || tr.employees === undefined ? null : t('pf.tr.employeesN', { n: tr.employees })),
        kv('revenue', t('pf.tr.revenue'), tr.revenue_band ? t(`pf.tr.rev.${tr.revenue_band}`) : null),
        kv('founded', t('pf.tr.founded'), tr.founded_on)),
      tr.stated ? h('p', { class: ['sf-small pf-note', pending ? 'pf-tr-pending' : 'muted'], 'data-testid': 'profile-traits-status' },
        pending ? t('pf.tr.changed', { time: fmtDateTime(tr.updated_at) })
          : tr.verified_at ? t('pf.tr.verifiedAt', { time: fmtDateTime(tr.verified_at) }) : t('pf.tr.verified')) : null));
  };

  const load = async () => {
    box.replaceChildren(loading());
    try {
      const [tr, terms] = await Promise.all([api('GET', path), qualifications()]);
      draw(tr, terms);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      head.replaceChildren(h('h3', { class: 'card-title' }, t('pf.sec.traits')));
      box.replaceChildren(errorState(err, load));
    }
  };

  const changed = (tr, terms) => {
    draw(tr, terms);
    if (onChange) onChange();
  };

  async function verify(b) {
    b.disabled = true;
    try {
      const [tr, terms] = await Promise.all([api('POST', `${path}/verify`), qualifications()]);
      toast(t('pf.tr.verified'), 'success');
      changed(tr, terms);
    } catch (err) {
      b.disabled = false;
      toast(errorMessage(err), 'error');
    }
  }

  async function edit(tr, terms) {
    const options = (list, prefix, value) => [h('option', { value: '' }, t('pf.tr.unset')),
      ...list.map((v) => h('option', { value: v, selected: v === value }, t(`${prefix}.${v}`)))];
    const held = tr.qualification_ids || [];
    // Those in use, and any retired one it still holds (so that saving does not drop it).
    const offered = terms.filter((q) => q.active || held.includes(q.id));
    const boxes = offered.map((q) => h('label', { class: 'sf-check', 'data-testid': 'trait-qualification', 'data-id': q.id },
      h('input', { type: 'checkbox', name: 'qualification_ids', value: q.id, checked: held.includes(q.id), 'data-multi': '1' }),
      h('span', null, q.active ? q.name : `${q.name}${t('pf.tr.retired')}`)));
    const none = h('input', { type: 'checkbox', name: 'qualification_none', checked: tr.qualification_ids !== null && tr.qualification_ids !== undefined && !held.length });
    // 以上均无 and a qualification exclude each other.
    none.addEventListener('change', () => { if (none.checked) boxes.forEach((l) => { l.querySelector('input').checked = false; }); });
    boxes.forEach((l) => l.querySelector('input').addEventListener('change', (e) => { if (e.target.checked) none.checked = false; }));
    // 以上均无 stays in view below the list (which scrolls when long).
    const group = h('div', { class: 'pf-tr-quals', role: 'group' },
      boxes.length ? h('div', { class: 'sf-checks' }, boxes) : null,
      h('label', { class: 'sf-check', 'data-testid': 'trait-qualification-none' }, none, h('span', null, t('pf.tr.qualNone'))));
    const r = await formDialog({
      title: t('pf.tr.editTitle'), okText: t('common.save'), action: 'traits-edit', wide: true,
      fields: [
        h('p', { class: 'sf-dialog-lead' }, t('pf.tr.staffNote')),
        field(t('pf.tr.scale'), selectInput('scale', options(SCALES, 'pf.tr.scale', tr.scale), { testid: 'trait-scale' })),
        field(t('pf.tr.size'), selectInput('size', options(SIZES, 'pf.tr.size', tr.size), { testid: 'trait-size' })),
        field(t('pf.tr.qualifications'), group, t('pf.tr.qualHint')),
        field(t('pf.tr.employees'), textInput('employees', { type: 'number', inputmode: 'numeric', min: '0', maxNum: '10000000', testid: 'trait-employees',
          value: tr.employees === null || tr.employees === undefined ? '' : String(tr.employees) })),
        field(t('pf.tr.revenue'), selectInput('revenue_band', options(BANDS, 'pf.tr.rev', tr.revenue_band), { testid: 'trait-revenue' })),
        field(t('pf.tr.founded'), h('input', { type: 'date', name: 'founded_on', class: 'input', max: todayCN(), value: tr.founded_on || '', 'data-testid': 'trait-founded' })),
      ],
      submit: async (form, v) => {
        // A number input holding what is not a number reads as '' (which would clear it).
        if (form.querySelector('[name="employees"]').validity.badInput) v.employees = 'x';
        checkFields(v, { employees: { int: [0, 10000000] } });
        const ids = Array.isArray(v.qualification_ids) ? v.qualification_ids : [];
        const after = {
          scale: v.scale || null,
          size: v.size || null,
          qualification_ids: ids.length ? ids : v.qualification_none ? [] : null,
          employees: v.employees.trim() === '' ? null : Number(v.employees),
          revenue_band: v.revenue_band || null,
          founded_on: v.founded_on || null,
        };
        // Only what changed is sent (null clears); an untouched form changes nothing.
        const key = (name, x) => JSON.stringify(name === 'qualification_ids' && x ? [...x].sort() : x ?? null);
        const body = Object.fromEntries(Object.entries(after).filter(([name, x]) => key(name, x) !== key(name, tr[name])));
        if (!Object.keys(body).length) return tr;
        return api('PATCH', path, body);
      },
    });
    if (r && r !== tr) { toast(t('pf.tr.saved'), 'success'); changed(r, terms); }
  }

  load();
  return card;
}

function fitTag(fit) {
  return h('span', { class: ['tag', fit === 'fits' ? 'tag-pf-fits' : 'tag-pf-may'], 'data-testid': 'profile-policy-fit' }, t(fit === 'fits' ? 'pf.po.fits' : 'pf.po.mayFit'));
}

/** One policy it fits or may fit: title, fit, benefit, what is unknown, told, applied. */
function policyItem(x) {
  const p = x.policy;
  const told = [x.pushed_at ? t('pf.po.pushed', { day: fmtDate(x.pushed_at) }) : null, x.explained ? t('pf.po.explained') : null].filter(Boolean);
  const app = x.application;
  return h('li', { class: 'pf-po', 'data-testid': 'profile-policy', 'data-id': p.id, 'data-fit': x.fit },
    h('div', { class: 'pf-po-head' },
      h('a', { class: 'pf-po-title', href: policyHref(p.id), 'data-testid': 'profile-policy-title' }, p.title),
      h('span', { class: 'pf-po-tags' }, p.free_grant ? h('span', { class: 'tag tag-muted' }, t('pf.po.freeGrant')) : null, fitTag(x.fit))),
    p.benefit && p.benefit.description ? h('p', { class: 'pf-po-benefit' }, p.benefit.description) : null,
    x.fit === 'may_fit' && (x.unknown || []).length
      ? h('p', { class: 'sf-small pf-po-unknown', 'data-testid': 'profile-policy-unknown' }, t('pf.po.unknown', { list: x.unknown.map((u) => t(`pf.po.u.${u}`)).join('、') }))
      : null,
    h('div', { class: 'pf-po-foot sf-small' },
      h('span', { class: told.length ? 'pf-po-told' : 'muted', 'data-testid': 'profile-policy-told' }, told.length ? told.join(' · ') : t('pf.po.notTold')),
      h('span', { class: ['pf-po-app', app ? `is-${app.status}` : 'muted'], 'data-testid': 'profile-policy-application', 'data-status': app ? app.status : '' },
        app ? t(`pf.po.app.${app.status}`) : t('pf.po.notApplied'))));
}

/** 可享政策: reads the list and draws it; reload() reads it again; items() → the last read. */
export function policiesCard(enterpriseId) {
  const count = h('span', { class: 'muted sf-small', 'data-testid': 'profile-policies-count' });
  const box = h('div', null, loading());
  const node = h('section', { class: 'card pf-policies', 'data-testid': 'profile-policies' },
    h('div', { class: 'pf-tr-title' }, h('h3', { class: 'card-title' }, t('pf.sec.policies')), count),
    h('p', { class: 'muted sf-small pf-po-hint' }, t('pf.po.hint')),
    box);
  let last = Promise.resolve([]);
  const reload = () => {
    box.replaceChildren(loading());
    last = enterprisePolicies(enterpriseId);
    last.then((items) => {
      const fits = items.filter((x) => x.fit === 'fits').length;
      count.textContent = items.length ? t('pf.po.count', { a: fits, b: items.length - fits }) : '';
      if (!items.length) { box.replaceChildren(h('div', { 'data-testid': 'profile-policies-empty' }, empty(t('pf.po.none')))); return; }
      // The first few; the rest on 展开全部, so that the visits are not pushed far down.
      const list = h('ul', { class: 'pf-pos' }, items.slice(0, SHOWN_POLICIES).map(policyItem));
      const more = items.length > SHOWN_POLICIES ? h('button', { type: 'button', class: 'btn btn-ghost btn-small pf-po-more', 'data-testid': 'profile-policies-more',
        onclick: () => { list.replaceChildren(...items.map(policyItem)); more.remove(); } }, t('pf.po.showAll', { n: items.length })) : null;
      box.replaceChildren(list, ...(more ? [more] : []));
    }, (err) => {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, reload));
    });
    return last;
  };
  reload();
  return { node, reload, items: () => last.catch(() => []) };
}

/**
 * The policies a visit explained, each a link named by its title: from `known` (a promise of the
 * enterprise's list), else read one by one (a policy it no longer fits, or withdrawn).
 */
export function visitPolicies(ids, known) {
  if (!ids || !ids.length) return null;
  const links = ids.map((id) => h('a', { href: policyHref(id), 'data-testid': 'profile-visit-policy', 'data-id': id }, t('pf.policy')));
  known.then(async (items) => {
    const titles = new Map(items.map((x) => [x.policy.id, x.policy.title]));
    await Promise.all(ids.map(async (id, i) => {
      let title = titles.get(id);
      if (!title) title = await api('GET', `/policies/${encodeURIComponent(id)}`).then((p) => p.title, () => null);
      if (title) links[i].textContent = title;
    }));
  });
  return h('div', { class: 'pf-visit-tickets pf-visit-policies', 'data-testid': 'profile-visit-policies' },
    h('span', { class: 'muted sf-small' }, t('pf.explained')),
    h('ul', null, links.map((a) => h('li', null, a))));
}

/** The visit form's 宣讲政策: element, and ids() of those ticked. */
export function policyPicker(enterpriseId) {
  const countNote = h('div', { class: 'field-hint li-pol-count', 'data-testid': 'visit-policies-count', 'aria-live': 'polite' });
  const box = h('div', { class: 'li-pol', 'data-testid': 'visit-policies' }, loading());
  const element = h('div', null, h('div', { class: 'field-hint' }, t('li.policiesHint')), box, countNote);
  const checks = () => [...box.querySelectorAll('input[type=checkbox]')];
  const update = () => {
    const n = checks().filter((c) => c.checked).length;
    // At most 20: the rest are disabled until one is unticked.
    checks().forEach((c) => { c.disabled = !c.checked && n >= MAX_EXPLAINED; c.closest('.sf-check').classList.toggle('is-disabled', c.disabled); });
    countNote.textContent = n >= MAX_EXPLAINED ? t('li.policiesMax') : n ? t('li.policiesChosen', { n }) : '';
  };
  const item = (p, fit) => h('label', { class: 'sf-check li-pol-item', 'data-testid': 'visit-policy', 'data-id': p.id, 'data-fit': fit || 'no' },
    h('input', { type: 'checkbox', value: p.id, 'data-testid': 'visit-policy-check', onchange: update }),
    h('span', { class: 'li-pol-title' }, p.title),
    fit ? h('span', { class: ['tag', fit === 'fits' ? 'tag-pf-fits' : 'tag-pf-may'] }, t(fit === 'fits' ? 'pf.po.fits' : 'pf.po.mayFit')) : null);
  const load = async () => {
    box.replaceChildren(loading());
    try {
      const [fitting, all] = await Promise.all([
        enterprisePolicies(enterpriseId),
        api('GET', '/policies', null, { query: { status: 'published', in_force: true, limit: 100 } }).then((r) => r.items || []),
      ]);
      const mine = new Set(fitting.map((x) => x.policy.id));
      const others = all.filter((p) => !mine.has(p.id));
      box.replaceChildren(h('div', null,
        h('div', { class: 'li-pol-sub' }, t('li.policiesFit')),
        fitting.length ? h('div', { class: 'li-pol-list' }, fitting.map((x) => item(x.policy, x.fit)))
          : h('p', { class: 'muted sf-small li-pol-none' }, t('li.policiesNoFit')),
        others.length ? h('details', { class: 'li-pol-more', 'data-testid': 'visit-policies-more' },
          h('summary', null, icon('chevron', 'li-pol-chev'), t('li.policiesOther', { n: others.length })),
          h('div', { class: 'li-pol-list' }, others.map((p) => item(p, null)))) : null));
      update();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    }
  };
  load();
  return { element, ids: () => checks().filter((c) => c.checked).map((c) => c.value) };
}
