// admin/manage-hub.js — 管理 on a phone (#/a/manage): cards leading to the management pages that
// the side menu lists on a desk, and 政策领域与企业资质 (#/a/policy-terms; on a desk reached from the
// dashboard's policy card).
//
// Test ids (stable, for tests/e2e):
//   the nav-* test ids of the menu, as cards; nav-policy-terms

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { adminPage, NAV } from './frame.js';

export function hubPage() {
  return adminPage(t('a.nav.manage'), h('div', { class: 'sa-hub' },
    NAV.filter((n) => n.hub).map((n) => h('a', { href: n.hash, 'data-testid': n.testid }, icon(n.icon), h('span', null, t(n.label)), h('small', null, t(n.hub)))),
    h('a', { href: '#/a/policy-terms', 'data-testid': 'nav-policy-terms' }, icon('file'), h('span', null, t('pa.terms.nav')), h('small', null, t('pa.terms.hub')))));
}
