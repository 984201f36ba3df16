// core/format.js — how values read: dates and times in Asia/Shanghai (fmtDateTime 'YYYY-MM-DD
// HH:mm', fmtDate, fmtTime; '' for null), deadlines (fmtDue → {text: '剩 2 天' | '已超期 3 天',
// cls: due-ok | due-soon | due-over}), sizes (fmtSize → '1.2 MB') and the coloured tags of a
// ticket's status, kind and rating (statusTag, kindTag, ratingTag: .tag .tag-<status>).

import { h } from './dom.js';
import { t } from './i18n.js';

const TZ = 'Asia/Shanghai';
const dtf = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

function parts(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const p = {};
  for (const x of dtf.formatToParts(d)) p[x.type] = x.value;
  return p;
}

export function fmtDateTime(iso) { const p = parts(iso); return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : ''; }
export function fmtDate(iso) { const p = parts(iso); return p ? `${p.year}-${p.month}-${p.day}` : ''; }
export function fmtTime(iso) { const p = parts(iso); return p ? `${p.hour}:${p.minute}` : ''; }

function chinaDay(d) { const p = parts(d); return p ? Date.UTC(+p.year, +p.month - 1, +p.day) : 0; }

export function fmtDue(iso) {
  if (!iso) return { text: '', cls: '' };
  const due = new Date(iso);
  const now = new Date();
  const days = Math.round((chinaDay(due) - chinaDay(now)) / 86400000);
  if (due < now) {
    const over = Math.max(0, -days);
    return { text: over ? t('due.over', { n: over }) : t('due.overToday'), cls: 'due-over' };
  }
  if (days === 0) return { text: t('due.today'), cls: 'due-soon' };
  return { text: t('due.left', { n: days }), cls: days <= 2 ? 'due-soon' : 'due-ok' };
}

export function fmtSize(n) {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function statusTag(status) {
  return h('span', { class: ['tag', `tag-${status}`], 'data-status': status }, t(`status.${status}`));
}
export function kindTag(kind) {
  return h('span', { class: ['tag', 'tag-kind', `tag-kind-${kind}`] }, t(`kind.${kind}`));
}
export function ratingTag(rating) {
  return rating ? h('span', { class: ['tag', `tag-rating-${rating}`] }, t(`rating.${rating}`)) : null;
}
