// core/feedback.js — toast(msg, kind?): a short message at the foot of the screen; kind 'info' |
// 'success' | 'error' | 'warn' (errors stay longer and are announced as alerts). Two at most.
//
// Test ids (stable, for tests/e2e):
//   toast

import { h } from './dom.js';

let toastBox = null;

export function toast(msg, kind = 'info') {
  if (!toastBox || !toastBox.isConnected) {
    toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(toastBox);
  }
  const el = h('div', { class: ['toast', `toast-${kind}`], 'data-testid': 'toast', role: kind === 'error' ? 'alert' : null }, String(msg));
  while (toastBox.children.length >= 2) toastBox.firstChild.remove();
  toastBox.appendChild(el);
  setTimeout(() => { el.classList.add('leaving'); setTimeout(() => el.remove(), 300); }, kind === 'error' ? 4500 : 2000);
  return el;
}
