// core/controls.js — list rows and small controls.
//
//   cell({label, value, to, onClick, chevron, testid, cls, sub}) / cells(title?, ...cells)
//                                   list rows (label left, value right, chevron when it leads on).
//   segmented({name, options: [{value, label, testid}], value, onChange, label})  radio-based (.seg).
//   tabs([{value, label, testid, badge}], active, onChange)  top tabs (.tabs).
//   langSwitch()                    中文 / English buttons (lang-zh, lang-en).

import { h } from './dom.js';
import { icon } from './icons.js';
import { lang, setLang } from './i18n.js';

let segSeq = 0;

export function cell({ label, value, to, onClick, chevron, testid, cls, sub } = {}) {
  const tag = to ? 'a' : onClick ? 'button' : 'div';
  const attrs = { class: ['cell', (to || onClick) && 'cell-link', cls], 'data-testid': testid };
  if (to) attrs.href = to;
  if (onClick) { attrs.type = 'button'; attrs.onclick = onClick; }
  return h(tag, attrs,
    h('span', { class: 'cell-label' }, label, sub ? h('span', { class: 'cell-sub' }, sub) : null),
    h('span', { class: 'cell-value' }, value === undefined || value === null || value === '' ? '' : value),
    (chevron ?? !!(to || onClick)) ? h('span', { class: 'cell-chevron' }, icon('chevron')) : null);
}

export function cells(title, ...children) {
  if (title instanceof Node) { children.unshift(title); title = null; }
  return h('section', { class: 'cells' }, title ? h('h2', { class: 'cells-title' }, title) : null, children);
}

export function segmented({ name, options, value, onChange, label }) {
  const gid = `seg-${name}-${++segSeq}`;
  return h('div', { class: 'seg', role: 'radiogroup', 'aria-label': label || null, 'data-field': name },
    options.map((o) => {
      const id = `${gid}-${o.value}`;
      return [
        h('input', { type: 'radio', class: 'sr-only', name, id, value: o.value, checked: o.value === value,
          'data-testid': o.testid, onchange: (e) => { if (e.target.checked && onChange) onChange(o.value); } }),
        h('label', { for: id, class: 'seg-item' }, o.label),
      ];
    }));
}

export function tabs(items, active, onChange) {
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  for (const it of items) {
    bar.appendChild(h('button', {
      type: 'button', role: 'tab', class: ['tab', it.value === active && 'active'],
      'aria-selected': it.value === active ? 'true' : 'false', 'data-testid': it.testid,
      onclick: () => {
        bar.querySelectorAll('.tab').forEach((b) => { b.classList.remove('active'); b.setAttribute('aria-selected', 'false'); });
        const me = bar.querySelector(`[data-value="${it.value}"]`);
        if (me) { me.classList.add('active'); me.setAttribute('aria-selected', 'true'); }
        if (onChange) onChange(it.value);
      },
      'data-value': it.value,
    }, it.label, it.badge ? h('span', { class: 'badge' }, String(it.badge)) : null));
  }
  return bar;
}

export function langSwitch() {
  return h('div', { class: 'lang-switch', role: 'group', 'aria-label': 'Language' },
    h('button', { type: 'button', class: ['lang-btn', lang() === 'zh' && 'active'], 'aria-pressed': String(lang() === 'zh'), 'data-testid': 'lang-zh', onclick: () => setLang('zh') }, '中文'),
    h('button', { type: 'button', class: ['lang-btn', lang() === 'en' && 'active'], 'aria-pressed': String(lang() === 'en'), 'data-testid': 'lang-en', onclick: () => setLang('en') }, 'English'));
}
