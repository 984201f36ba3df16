// enterprise/index.js — the enterprise's pages (#/e…), loaded by main.js after an enterprise user
// signs in: their strings, their tab bar and their routes. Nothing of the staff or admin pages.
//
// Test ids (stable, for tests/e2e):
//   (tab bar) tab-home tab-tickets tab-me

import { addStrings } from '../core/i18n.js';
import { route } from '../core/router.js';
import { setTabs } from '../core/layout.js';
import * as strings from '../strings/enterprise.js';
import { homePage } from './home.js';
import { listPage } from './list.js';
import { newPage } from './new.js';
import { detailPage } from './detail.js';
import { supplementPage } from './supplement.js';
import { ratePage } from './rate.js';
import { mePage } from './me.js';

export function register() {
  addStrings(strings.zh, strings.en);
  setTabs('enterprise', [
    { hash: '#/e', label: 'e.tab.home', icon: 'home', testid: 'tab-home' },
    { hash: '#/e/tickets', label: 'e.tab.tickets', icon: 'list', testid: 'tab-tickets' },
    { hash: '#/e/me', label: 'e.tab.me', icon: 'user', testid: 'tab-me' },
  ]);
  const ent = { roles: ['enterprise'] };
  route('#/e', homePage, ent);
  route('#/e/new', newPage, ent);
  route('#/e/tickets', listPage, ent);
  route('#/e/tickets/:id', detailPage, ent);
  route('#/e/tickets/:id/rate', ratePage, ent);
  route('#/e/tickets/:id/supplement', supplementPage, ent);
  route('#/e/me', mePage, ent);
}
