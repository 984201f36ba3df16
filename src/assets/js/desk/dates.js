// desk/dates.js — days as the desks count them: todayCN() (YYYY-MM-DD in China), addDays(ymd, n)
// (calendar days), validYmd(s) and pct(rate) ('87.5%', null for none).

import { fmtDate } from '../core/format.js';

/** Today in China as YYYY-MM-DD. */
export function todayCN() { return fmtDate(new Date().toISOString()); }

/** Add days to a YYYY-MM-DD (calendar days). */
export function addDays(ymd, n) {
  const [y, m, d] = ymd.split('-').map(Number);
  const x = new Date(Date.UTC(y, m - 1, d + n));
  return x.toISOString().slice(0, 10);
}

export function pct(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return null;
  const x = Math.round(v * 1000) / 10;
  return `${x % 1 === 0 ? x.toFixed(0) : x.toFixed(1)}%`;
}

/** Whether a string is a real YYYY-MM-DD date. */
export function validYmd(s) { return /^\d{4}-\d{2}-\d{2}$/.test(s || '') && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)); }
