// staff/merging.js — requests seen together on the staff ticket page (issue 18): the similar
// requests of every enterprise with what they share (dispatchers and administrators), each
// with 合并到此件 when this one may be merged into it; the request a merged one follows; the
// requests merged into this one, with their enterprises' ratings.
//
//   similarCard({tk, base, onMerge(primary)}) → a card filled when the answer comes (null for
//     cadres: the similar requests of every enterprise are not theirs to see)
//   mergeCard({tk, base}) → the merged-into notice or the duplicates list, or null
//
// Test ids (stable, for tests/e2e):
//   similar similar-item (data-id) similar-shared similar-merge merged-into merged-into-link
//   duplicates duplicate-item (data-id)

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { fmtDateTime, statusTag, ratingTag } from '../core/format.js';
import { may } from '../core/allowed.js';
import { loading } from '../core/states.js';

/** Where a merge may lead: a request of the same kind, accepted and not yet resolved. */
const OPEN = ['accepted', 'assigned', 'in_progress'];

function ticketLink(base, id, number, testid) {
  return h('a', { class: 'sf-card-no', href: `#/${base}/tickets/${encodeURIComponent(id)}`, 'data-testid': testid }, number);
}

export function similarCard({ tk, base, onMerge }) {
  if (base !== 'd') return null;
  const list = h('div', { class: 'sf-similar-list' }, loading());
  const card = h('section', { class: 'card sf-similar', 'data-testid': 'similar' },
    h('h3', { class: 'card-title' }, t('s.sec.similar')), list);
  api('GET', `/tickets/${encodeURIComponent(tk.id)}/similar?limit=5`).then((res) => {
    const items = res.items || [];
    if (!items.length) {
      list.replaceChildren(h('div', { class: 'muted sf-small' }, t('s.similar.none')));
      return;
    }
    // The rank is comparable within one answer only: shown against the first.
    const top = items[0].score || 1;
    list.replaceChildren(h('ul', { class: 'sf-similar-items' }, items.map((s) => {
      const mergeable = may(tk, 'merge') && s.kind === tk.kind && OPEN.includes(s.status);
      return h('li', { class: 'sf-similar-item', 'data-testid': 'similar-item', 'data-id': s.id },
        h('div', { class: 'sf-similar-top' },
          ticketLink(base, s.id, s.number), statusTag(s.status),
          h('span', { class: 'sf-similar-score muted sf-small', title: t('s.similar.scoreHint') },
            t('s.similar.score', { n: Math.max(1, Math.round((100 * (s.score || 0)) / top)) }))),
        h('div', { class: 'sf-similar-title' }, s.title),
        h('div', { class: 'sf-similar-shared muted sf-small', 'data-testid': 'similar-shared' },
          t('s.similar.shared'), ' ', (s.shared_words || []).map((w) => h('mark', { class: 'sf-word' }, w))),
        h('div', { class: 'muted sf-small' }, fmtDateTime(s.created_at)),
        mergeable ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'similar-merge',
          onclick: () => onMerge(s) }, t('s.similar.mergeInto')) : null);
    })));
  }, (err) => list.replaceChildren(h('div', { class: 'muted sf-small' }, errorMessage(err))));
  return card;
}

export function mergeCard({ tk, base }) {
  const p = tk.merged_into;
  if (tk.status === 'merged' && p) {
    return h('section', { class: 'card notice sf-merged', 'data-testid': 'merged-into' },
      h('div', null, t('s.merged.into'), ' ', ticketLink(base, p.id, p.number, 'merged-into-link'), ' ', statusTag(p.status)),
      h('div', { class: 'muted sf-small' }, t('s.merged.follows', { time: fmtDateTime(tk.merged_at) })));
  }
  const dups = tk.duplicates || [];
  if (!dups.length) return null;
  return h('section', { class: 'card', 'data-testid': 'duplicates' },
    h('h3', { class: 'card-title' }, t('s.sec.duplicates', { n: dups.length })),
    h('ul', { class: 'sf-similar-items' }, dups.map((d) => h('li', { class: 'sf-similar-item', 'data-testid': 'duplicate-item', 'data-id': d.id },
      h('div', { class: 'sf-similar-top' }, ticketLink(base, d.id, d.number), d.rating ? ratingTag(d.rating) : null),
      h('div', { class: 'sf-similar-title' }, d.title),
      h('div', { class: 'muted sf-small' }, d.enterprise_name, ' · ', t('s.merged.at', { time: fmtDateTime(d.merged_at) }))))));
}
