// admin/hot-topics-panel.js — the dashboard's hot topics (热点诉求, GET /stats/hot-topics) for
// its period: the most frequent words and phrases of the requests, the rising ones (上升最快),
// and the categories and areas, each with its count and its change against the period of the
// same length before. A word opens the ticket list searched for it. The words lag the filings
// by the background count's interval (docs/kpi.md#hot-topics); the card says when they were
// counted.
//
// Test ids (stable, for tests/e2e):
//   hot-panel hot-words hot-word (data-text) hot-rising hot-rising-word hot-categories
//   hot-areas hot-share hot-totals hot-empty

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { loading, errorState, empty } from '../core/states.js';
import { fmtDateTime } from '../core/format.js';

/** Words and phrases shown in each list. */
const SHOWN = 12;
/** Categories and areas shown. */
const SHARES = 6;

/** A phrase's words are joined by a space in the API; on the page they read as one. */
const shown = (text) => (text || '').replace(/ /g, '');

function change(x) {
  const d = (x.count ?? 0) - (x.previous ?? 0);
  if (!x.previous && x.count) return h('span', { class: 'sa-hot-change is-up' }, t('a.hot.new'));
  if (d === 0) return h('span', { class: 'sa-hot-change' }, t('a.hot.same'));
  return h('span', { class: ['sa-hot-change', d > 0 ? 'is-up' : 'is-down'] }, `${d > 0 ? '▲' : '▼'}${Math.abs(d)}`);
}

function wordRow(x, testid, hrefOf) {
  return h('li', { class: ['sa-hot-row', x.rising && 'is-rising'], 'data-testid': testid, 'data-text': x.text },
    h('a', { class: 'sa-hot-text', href: hrefOf(x.text), title: t('a.hot.search', { w: shown(x.text) }) }, shown(x.text),
      x.phrase ? h('span', { class: 'sa-hot-tag' }, t('a.hot.phrase')) : null,
      x.rising ? h('span', { class: 'tag tag-warn sa-hot-rise' }, t('a.hot.rising')) : null),
    h('span', { class: 'sa-hot-count' }, t('a.hot.count', { n: x.count })),
    change(x));
}

function shareList(testid, title, items, noName) {
  return h('div', { class: 'sa-hot-col', 'data-testid': testid },
    h('h4', { class: 'sa-hot-sub' }, title),
    items.length
      ? h('ul', { class: 'sa-hot-list' }, items.slice(0, SHARES).map((x) => h('li', { class: ['sa-hot-row', x.rising && 'is-rising'], 'data-testid': 'hot-share' },
        h('span', { class: 'sa-hot-text' }, x.text || noName),
        h('span', { class: 'sa-hot-count' }, t('a.hot.count', { n: x.count })),
        change(x))))
      : h('p', { class: 'muted sf-small' }, t('a.hot.none')));
}

/** The panel for the days [q.from, q.to) (`to` the day after the period). */
export function hotTopicsPanel(q) {
  const box = h('div', null, loading());
  const card = h('section', { class: 'card sa-hot', 'data-testid': 'hot-panel' },
    h('div', { class: 'sa-card-head' }, h('h3', { class: 'card-title' }, t('a.hot.title'))),
    box);
  // The ticket list searched for a word, over the same days.
  const hrefOf = (text) => `#/d?${new URLSearchParams({ tab: 'all', q: text }).toString()}`;
  const load = async () => {
    box.replaceChildren(loading());
    try {
      const r = await api('GET', '/stats/hot-topics', null, { query: { ...q, limit: SHOWN } });
      const totals = h('p', { class: 'muted sf-small sa-hot-totals', 'data-testid': 'hot-totals' },
        t('a.hot.totals', { n: r.tickets, m: r.previous_tickets, from: r.previous_from }),
        r.counted_at ? ` · ${t('a.hot.counted', { at: fmtDateTime(r.counted_at) })}` : '');
      if (!r.tickets && !r.previous_tickets) {
        box.replaceChildren(h('div', { 'data-testid': 'hot-empty' }, empty(t('a.hot.empty'))));
        return;
      }
      box.replaceChildren(totals,
        h('div', { class: 'sa-hot-grid' },
          h('div', { class: 'sa-hot-col', 'data-testid': 'hot-words' },
            h('h4', { class: 'sa-hot-sub' }, t('a.hot.words')),
            r.words.length
              ? h('ol', { class: 'sa-hot-list' }, r.words.map((x) => wordRow(x, 'hot-word', hrefOf)))
              : h('p', { class: 'muted sf-small' }, t('a.hot.noWords'))),
          h('div', { class: 'sa-hot-col', 'data-testid': 'hot-rising' },
            h('h4', { class: 'sa-hot-sub' }, t('a.hot.risingTitle')),
            r.rising.length
              ? h('ol', { class: 'sa-hot-list' }, r.rising.map((x) => wordRow(x, 'hot-rising-word', hrefOf)))
              : h('p', { class: 'muted sf-small' }, t('a.hot.noRising'))),
          shareList('hot-categories', t('a.hot.categories'), r.categories || [], t('a.hot.noCategory')),
          shareList('hot-areas', t('a.hot.areas'), r.areas || [], t('a.hot.noArea'))));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    }
  };
  load();
  return card;
}
