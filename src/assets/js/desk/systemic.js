// desk/systemic.js — what the staff and admin pages share about systemic issues (症结): the
// statuses, their tag (in the colours of the ticket statuses they resemble), the counts line,
// and an issue's address on the reader's desk.

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';

export const SYSTEMIC_STATUSES = ['open', 'addressing', 'solved'];

/** The ticket status whose colours each issue status borrows (contrast already checked). */
const LOOK = { open: 'tag-submitted', addressing: 'tag-in_progress', solved: 'tag-resolved' };

export function systemicTag(status) {
  return h('span', { class: ['tag', LOOK[status] || 'tag-muted'], 'data-testid': 'systemic-status', 'data-status': status }, t(`sy.status.${status}`));
}

/** 3 件诉求 · 2 家企业 */
export function countsText(issue) {
  return t('sy.counts', { requests: issue.requests ?? 0, enterprises: issue.enterprises ?? 0 });
}

/** The issue's page on the reader's desk: a cadre's (#/c…) or the dispatcher's (#/d…, admins too). */
export function issueHref(id, role) {
  return `${role === 'cadre' ? '#/c' : '#/d'}/systemic/${encodeURIComponent(id)}`;
}
