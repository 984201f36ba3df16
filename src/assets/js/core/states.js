// core/states.js — the blocks a list or page shows instead of content: loading(text?),
// empty(text?, action?) and errorState(err, retry?) (404 reads "not found or not yours").
//
// Test ids (stable, for tests/e2e):
//   loading empty error-state retry

import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { ApiError, errorMessage } from './errors.js';

export function loading(text) {
  return h('div', { class: 'state state-loading', role: 'status', 'data-testid': 'loading' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, text || t('common.loading')));
}

export function empty(text, action) {
  return h('div', { class: 'state state-empty', 'data-testid': 'empty' },
    h('div', { class: 'state-icon', 'aria-hidden': 'true' }, icon('list')),
    h('p', null, text || t('common.empty')), action || null);
}

export function errorState(err, retry) {
  const notFound = err instanceof ApiError && err.status === 404;
  return h('div', { class: 'state state-error', role: 'alert', 'data-testid': 'error-state' },
    h('div', { class: 'state-icon', 'aria-hidden': 'true' }, icon('alert')),
    h('p', null, notFound ? t('common.notFound') : errorMessage(err)),
    retry && !notFound ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'retry', onclick: retry }, icon('refresh'), t('common.retry')) : null);
}
