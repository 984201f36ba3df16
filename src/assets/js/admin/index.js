// admin/index.js — the administrator's pages (#/a…), loaded by main.js after an admin signs in
// (with staff/index.js, for the dispatcher's desk under 诉求受理): their strings, the menu (re-drawn
// when the width crosses the desk breakpoint) and their routes.

import { addStrings } from '../core/i18n.js';
import { session } from '../core/session.js';
import { route, navigate, currentHash } from '../core/router.js';
import * as deskStrings from '../strings/desk.js';
import * as strings from '../strings/admin.js';
import * as systemicStrings from '../strings/systemic.js';
import * as policyStrings from '../strings/policies-admin.js';
import * as traitsStrings from '../strings/traits-import.js';
import { mePage } from '../desk/me.js';
import { wideScreen, applyTabs } from './frame.js';
import { dashboardPage } from './dashboard.js';
import { hubPage } from './manage-hub.js';
import { departmentsPage } from './departments.js';
import { usersPage } from './users.js';
import { enterprisesPage } from './enterprises.js';
import { importPage } from './enterprise-import.js';
import { categoriesPage } from './categories.js';
import { calendarPage } from './calendar.js';
import { calendarYearPage } from './calendar-year.js';
import { notificationsPage } from './notifications.js';
import { auditPage } from './audit.js';
import { campaignsPage } from './campaigns.js';
import { campaignPage } from './campaign.js';
import { pairingImportPage } from './pairing-import.js';
import { traitsImportPage } from './traits-import.js';
import { policyTermsPage } from './policy-terms.js';

export function register() {
  addStrings(deskStrings.zh, deskStrings.en);
  addStrings(strings.zh, strings.en);
  addStrings(systemicStrings.zh, systemicStrings.en);
  addStrings(policyStrings.zh, policyStrings.en);
  addStrings(traitsStrings.zh, traitsStrings.en);
  applyTabs();
  // Re-render (debounced) when the width crosses the desk breakpoint, so the side menu / tab bar matches.
  let rendered = wideScreen.matches;
  let timer = null;
  const onChange = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (wideScreen.matches === rendered) return;
      rendered = wideScreen.matches;
      applyTabs();
      if (session.role() === 'admin' && document.querySelector('.sf-page .tabbar')) navigate(currentHash(), { replace: true });
    }, 400);
  };
  if (wideScreen.addEventListener) wideScreen.addEventListener('change', onChange);
  const admin = { roles: ['admin'] };
  route('#/a', dashboardPage, admin);
  route('#/a/manage', hubPage, admin);
  route('#/a/departments', departmentsPage, admin);
  route('#/a/users', usersPage, admin);
  route('#/a/enterprises', enterprisesPage, admin);
  route('#/a/enterprises/import', importPage, admin);
  route('#/a/enterprises/pairings', pairingImportPage, admin);
  route('#/a/enterprises/traits', traitsImportPage, admin);
  route('#/a/campaigns', campaignsPage, admin);
  route('#/a/campaigns/:id', campaignPage, admin);
  route('#/a/categories', categoriesPage, admin);
  route('#/a/policy-terms', policyTermsPage, admin);
  route('#/a/calendar', calendarPage, admin);
  route('#/a/calendar/:year', calendarYearPage, admin);
  route('#/a/notifications', notificationsPage, admin);
  route('#/a/audit', auditPage, admin);
  route('#/a/me', () => mePage(false), admin);
}
