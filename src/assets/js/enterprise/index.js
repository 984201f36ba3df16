// enterprise/index.js — the enterprise's pages (#/e…), loaded by main.js after an enterprise user
// signs in: their strings, their tab bar and their routes. Nothing of the staff or admin pages.
//
// Test ids (stable, for tests/e2e):
//   (tab bar) tab-home tab-policies tab-tickets tab-me

import { addStrings } from '../core/i18n.js';
import { route } from '../core/router.js';
import { setTabs } from '../core/layout.js';
import * as strings from '../strings/enterprise.js';
import * as policyStrings from '../strings/policies-enterprise.js';
import { homePage } from './home.js';
import { listPage } from './list.js';
import { newPage } from './new.js';
import { detailPage } from './detail.js';
import { supplementPage } from './supplement.js';
import { ratePage } from './rate.js';
import { mePage } from './me.js';
import { policiesPage, applicationsPage } from './policies.js';
import { policyPage } from './policy-detail.js';
import { applyPage, askPage } from './policy-forms.js';
import { applicationPage } from './policy-application.js';
import { profilePage } from './policy-profile.js';

export function register() {
  addStrings(strings.zh, strings.en);
  addStrings(policyStrings.zh, policyStrings.en);
  setTabs('enterprise', [
    { hash: '#/e', label: 'e.tab.home', icon: 'home', testid: 'tab-home' },
    { hash: '#/e/policies', label: 'e.tab.policies', icon: 'file', testid: 'tab-policies' },
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
  // 送政策: the catalogue and 为您推荐, a policy, applying and asking, the applications, 企业信息.
  route('#/e/policies', policiesPage, ent);
  route('#/e/policies/:id', policyPage, ent);
  route('#/e/policies/:id/apply', applyPage, ent);
  route('#/e/policies/:id/ask', askPage, ent);
  route('#/e/applications', applicationsPage, ent);
  route('#/e/applications/:id', applicationPage, ent);
  route('#/e/profile', profilePage, ent);
}
