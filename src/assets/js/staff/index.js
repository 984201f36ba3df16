// staff/index.js — the cadre's and the dispatcher's pages (#/c…, #/d…), loaded by main.js after a
// cadre, dispatcher or admin signs in (admins use the dispatcher's desk): their strings, tab bars
// and routes, the systemic issues' (症结) among them, and the weekly bulletins' (每周通报,
// #/bulletins, #/bulletins/:id: cadres, dispatchers and admins), the liaison cadre's
// (#/c/enterprises, #/c/visits/new/:enterprise) and the enterprise's profile (企业档案,
// #/c/enterprises/:id: its liaison cadres, dispatchers and admins), and the policies' (送政策:
// #/s/policies, #/s/policies/new, #/s/policies/:id, #/s/policies/:id/edit,
// #/s/policies/:id/enterprises, #/s/applications, #/s/applications/:id: cadres, dispatchers and
// admins).
//
// Test ids (stable, for tests/e2e):
//   (tab bars) tabbar-workbench tabbar-queue tabbar-liaison tabbar-systemic tabbar-policies tabbar-me

import { addStrings } from '../core/i18n.js';
import { route } from '../core/router.js';
import { setTabs } from '../core/layout.js';
import * as deskStrings from '../strings/desk.js';
import * as strings from '../strings/staff.js';
import * as systemicStrings from '../strings/systemic.js';
import * as bulletinStrings from '../strings/bulletin.js';
import * as liaisonStrings from '../strings/liaison.js';
import * as policyStrings from '../strings/policies-staff.js';
import { mePage } from '../desk/me.js';
import { bulletinListPage, bulletinPage } from '../desk/bulletin.js';
import { listPage } from './ticket-list.js';
import { detailPage } from './ticket-detail.js';
import { systemicListPage } from './systemic-list.js';
import { systemicDetailPage } from './systemic-detail.js';
import { liaisonListPage, visitFormPage } from './liaison.js';
import { profilePage } from './enterprise-profile.js';
import { policiesPage } from './policies.js';
import { policyPage } from './policy-detail.js';
import { policyFormPage } from './policy-form.js';
import { fittingPage } from './policy-fitting.js';
import { applicationsPage, applicationPage } from './policy-applications.js';

export function register() {
  addStrings(deskStrings.zh, deskStrings.en);
  addStrings(strings.zh, strings.en);
  addStrings(systemicStrings.zh, systemicStrings.en);
  addStrings(bulletinStrings.zh, bulletinStrings.en);
  addStrings(liaisonStrings.zh, liaisonStrings.en);
  addStrings(policyStrings.zh, policyStrings.en);
  setTabs('cadre', [
    { hash: '#/c', label: 's.tab.workbench', icon: 'list', testid: 'tabbar-workbench' },
    { hash: '#/c/enterprises', label: 'li.tab', icon: 'building', testid: 'tabbar-liaison' },
    { hash: '#/c/systemic', label: 'sy.tab', icon: 'alert', testid: 'tabbar-systemic' },
    { hash: '#/s/policies', label: 'ps.tab', icon: 'file', testid: 'tabbar-policies' },
    { hash: '#/c/me', label: 's.tab.me', icon: 'user', testid: 'tabbar-me' },
  ]);
  setTabs('dispatcher', [
    { hash: '#/d', label: 's.tab.queue', icon: 'list', testid: 'tabbar-queue' },
    { hash: '#/d/systemic', label: 'sy.tab', icon: 'alert', testid: 'tabbar-systemic' },
    { hash: '#/s/policies', label: 'ps.tab', icon: 'file', testid: 'tabbar-policies' },
    { hash: '#/d/me', label: 's.tab.me', icon: 'user', testid: 'tabbar-me' },
  ]);
  route('#/c', (p, q) => listPage({ mode: 'cadre', query: q }), { roles: ['cadre'] });
  route('#/c/tickets/:id', (p) => detailPage({ id: p.id, mode: 'cadre' }), { roles: ['cadre'] });
  route('#/c/systemic', (p, q) => systemicListPage({ mode: 'cadre', query: q }), { roles: ['cadre'] });
  route('#/c/systemic/:id', (p) => systemicDetailPage({ id: p.id, mode: 'cadre' }), { roles: ['cadre'] });
  route('#/c/me', () => mePage(false), { roles: ['cadre'] });
  route('#/c/enterprises', () => liaisonListPage(), { roles: ['cadre'] });
  route('#/c/visits/new/:enterprise', (p) => visitFormPage({ enterprise: p.enterprise }), { roles: ['cadre'] });
  route('#/d', (p, q) => listPage({ mode: 'dispatch', query: q }), { roles: ['dispatcher', 'admin'] });
  route('#/d/tickets/:id', (p) => detailPage({ id: p.id, mode: 'dispatch' }), { roles: ['dispatcher', 'admin'] });
  route('#/d/systemic', (p, q) => systemicListPage({ mode: 'dispatch', query: q }), { roles: ['dispatcher', 'admin'] });
  route('#/d/systemic/:id', (p) => systemicDetailPage({ id: p.id, mode: 'dispatch' }), { roles: ['dispatcher', 'admin'] });
  route('#/d/me', () => mePage(false), { roles: ['dispatcher'] });
  const staff = { roles: ['cadre', 'dispatcher', 'admin'] };
  route('#/bulletins', () => bulletinListPage(), staff);
  route('#/bulletins/:id', (p) => bulletinPage({ id: p.id }), staff);
  route('#/c/enterprises/:id', (p) => profilePage({ id: p.id }), staff);
  route('#/s/policies', (p, q) => policiesPage({ query: q }), staff);
  route('#/s/policies/new', () => policyFormPage({}), staff);
  route('#/s/policies/:id', (p) => policyPage({ id: p.id }), staff);
  route('#/s/policies/:id/edit', (p) => policyFormPage({ id: p.id }), staff);
  route('#/s/policies/:id/enterprises', (p, q) => fittingPage({ id: p.id, query: q }), staff);
  route('#/s/applications', (p, q) => applicationsPage({ query: q }), staff);
  route('#/s/applications/:id', (p) => applicationPage({ id: p.id }), staff);
}
