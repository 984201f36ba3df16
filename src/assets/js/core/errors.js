// core/errors.js — ApiError (status, code, message, fields, retryAfter; status 0 with code
// 'network' when the server was not reached) and the human message for any error in the
// current language: errorMessage(err), fieldMessage(serverFieldMessage).

import { t, lang, hasString } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, fields, extra) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || '';
    this.fields = fields || null;
    Object.assign(this, extra || {});
  }
}

/** Translate a server field message (English) into the UI language when we recognise it. */
export function fieldMessage(msg) {
  if (lang() === 'en' || typeof msg !== 'string') return msg;
  let m;
  if (/^is required$/i.test(msg)) return t('fe.required');
  if (/must not be (empty|blank)/i.test(msg)) return t('fe.empty');
  if ((m = /at most (\d+) characters/i.exec(msg))) return t('fe.atMost', { n: m[1] });
  if ((m = /at least (\d+) characters/i.exec(msg))) return t('fe.atLeast', { n: m[1] });
  if (/not your current password/i.test(msg)) return t('fe.notCurrentPassword');
  if (/must differ from the current password/i.test(msg)) return t('fe.samePassword');
  if (/must mix three of/i.test(msg)) return t('fe.weakPassword');
  if (/\bis required\b/i.test(msg)) return t('fe.required');
  if (/in the future/i.test(msg)) return t('fe.future');
  if (/date|time|YYYY/i.test(msg)) return t('fe.date');
  if (/e-mail/i.test(msg)) return t('fe.email');
  // What the server says in English and this page does not know stays out of a Chinese page.
  return /[\u4e00-\u9fff]/.test(msg) ? msg : t('fe.invalid');
}

/** "3 分钟" from a Retry-After in seconds ("稍后" without one). */
function waitText(secs) {
  const s = Number(secs);
  if (!s || s < 0) return t('wait.later');
  if (s < 60) return t('wait.seconds', { n: Math.ceil(s) });
  if (s < 3600) return t('wait.minutes', { n: Math.ceil(s / 60) });
  return t('wait.hours', { n: Math.ceil(s / 3600) });
}

export function errorMessage(err) {
  if (!err) return t('common.error');
  if (err instanceof ApiError) {
    if (err.status === 0) return t('err.network');
    if (err.status === 503) return t('err.unavailable');
    if (err.status >= 500) return t('err.server');
    const key = `err.${err.code}`;
    if (err.code === 'validation_failed' && err.fields) {
      const parts = Object.values(err.fields).map(fieldMessage);
      if (lang() === 'en') return err.message || t(key);
      return `${t(key)}：${parts.join('；')}`;
    }
    if (err.status === 429) {
      // What to do next: when to try again, and for a locked account another way in.
      const wait = waitText(err.retryAfter);
      if (err.code === 'locked_out') return t('err.lockedOutWait', { wait });
      return t('err.tooManyWait', { wait });
    }
    if (err.status === 413) return t('err.too_large');
    if (err.status === 415 && err.code !== 'unsupported_media_type') return t('err.unsupported_type');
    if (hasString(key)) {
      // For English the server's message is often the most precise.
      return lang() === 'en' && err.message ? err.message : t(key);
    }
    return lang() === 'en' && err.message ? err.message : t('common.error');
  }
  return err.message || String(err);
}
