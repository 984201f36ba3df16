// main.js — the entry point: every module declares its routes, then the router starts.
import { start } from './core.js';
import * as enterprise from './enterprise.js';
import * as staff from './staff.js';
import * as admin from './admin.js';

for (const m of [enterprise, staff, admin]) {
  try {
    if (typeof m.register === 'function') m.register();
  } catch (err) {
    console.error('register() failed', err);
  }
}
start();
