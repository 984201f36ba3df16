// core/i18n.js — translations: t(key, vars?) in the current language (falling back to Chinese,
// then to the key), the language itself (lang(), setLang(), remembered in localStorage) and
// addStrings(zh, en), with which each page module adds its own tables (strings/*.js). The shared
// table, strings/common.js, is here from the start.

import { store } from './store.js';
import * as common from '../strings/common.js';

export const LANG_KEY = 'qys.lang';
const STRINGS = { zh: {}, en: {} };
let currentLang = store.get(LANG_KEY, 'zh') === 'en' ? 'en' : 'zh';
const listeners = [];

/** Merge more translations (flat objects: {'e.home.title': '首页'}). */
export function addStrings(zh, en) {
  Object.assign(STRINGS.zh, zh || {});
  Object.assign(STRINGS.en, en || {});
}

addStrings(common.zh, common.en);

export function lang() { return currentLang; }

/** Runs fn(lang) after every switch (the router re-renders the page). */
export function onLangChange(fn) { listeners.push(fn); }

export function setLang(l) {
  currentLang = l === 'en' ? 'en' : 'zh';
  store.set(LANG_KEY, currentLang);
  document.documentElement.lang = currentLang === 'en' ? 'en' : 'zh-CN';
  for (const fn of listeners) fn(currentLang);
}

/** Whether a key has a (Chinese) translation. */
export function hasString(key) { return STRINGS.zh[key] !== undefined; }

export function t(key, vars) {
  let s = STRINGS[currentLang][key];
  if (s === undefined) s = STRINGS.zh[key];
  if (s === undefined) s = key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined || vars[k] === null ? m : String(vars[k])));
  return s;
}
