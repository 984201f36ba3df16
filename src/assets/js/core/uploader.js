// core/uploader.js — the photo and file picker of the filing and supplement forms: a picker and
// a camera button; each file uploads at once with its progress, error, retry and remove.
//   uploader({max: 9, initial, onChange, testid}) → {element, ids(), items(), busy(), failed(), clear()}
//   (items() are the uploaded attachments, for drafts).
//
// Test ids (stable, for tests/e2e):
//   <testid> <testid>-input -camera -pick -shoot -item (data-state uploading|done|error)
//   -remove -error

import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { uuid } from './store.js';
import { ApiError, errorMessage } from './errors.js';
import { blobUrl, uploadFile } from './api.js';
import { toast } from './feedback.js';

const MAX_BYTES = 10 * 1024 * 1024;

export function uploader({ max = 9, initial = [], onChange, testid = 'uploader' } = {}) {
  const entries = []; // {key, file?, att?, state: 'uploading'|'done'|'error', progress, error, localUrl}
  const grid = h('div', { class: 'uploader-grid' });
  const hint = h('div', { class: 'uploader-hint muted' }, t('up.hint', { max }));
  const changed = () => { if (onChange) onChange(); };

  const pickInput = h('input', { type: 'file', accept: 'image/*,application/pdf', multiple: true, class: 'sr-only', 'data-testid': `${testid}-input`, tabindex: '-1', 'aria-hidden': 'true' });
  const camInput = h('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'sr-only', 'data-testid': `${testid}-camera`, tabindex: '-1', 'aria-hidden': 'true' });

  const addBtns = h('div', { class: 'uploader-add' },
    h('button', { type: 'button', class: 'uploader-btn', 'data-testid': `${testid}-pick`, onclick: () => pickInput.click() }, icon('image'), h('span', null, t('up.pick'))),
    h('button', { type: 'button', class: 'uploader-btn', 'data-testid': `${testid}-shoot`, onclick: () => camInput.click() }, icon('camera'), h('span', null, t('up.camera'))));

  const element = h('div', { class: 'uploader', 'data-testid': testid, 'data-field': 'attachment_ids' }, grid, addBtns, hint, pickInput, camInput);

  function renderEntries() {
    grid.replaceChildren(...entries.map(entryNode));
    addBtns.classList.toggle('hidden', entries.length >= max);
  }

  function entryNode(en) {
    const name = en.att ? en.att.file_name : en.file && en.file.name;
    const type = en.att ? en.att.content_type : en.file && en.file.type;
    let preview;
    if (/^image\//.test(type || '')) {
      preview = h('img', { class: 'uploader-img', alt: name || '' });
      preview.addEventListener('error', () => preview.replaceWith(h('div', { class: 'uploader-fileicon' }, icon('image'))), { once: true });
      if (en.localUrl) preview.src = en.localUrl;
      else if (en.att) blobUrl(`/attachments/${encodeURIComponent(en.att.id)}`).then((u) => { preview.src = u; }, () => {});
    } else {
      preview = h('div', { class: 'uploader-fileicon' }, icon('file'));
    }
    let status = null;
    if (en.state === 'uploading') {
      status = h('div', { class: 'uploader-status' },
        h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(en.progress || 0) },
          h('div', { class: 'progress-bar', ref: (el) => { el.style.width = `${en.progress || 0}%`; } })),
        h('span', null, t('up.uploading', { p: en.progress || 0 })));
    } else if (en.state === 'error') {
      status = h('div', { class: 'uploader-status uploader-error', role: 'alert', 'data-testid': `${testid}-error` }, en.error,
        en.file && en.retryable ? h('button', { type: 'button', class: 'link', onclick: () => startUpload(en) }, t('up.retry')) : null);
    }
    return h('div', { class: ['uploader-item', `is-${en.state}`], 'data-testid': `${testid}-item`, 'data-state': en.state },
      h('div', { class: 'uploader-preview' }, preview),
      h('div', { class: 'uploader-name', title: name || '' }, name || ''),
      status,
      h('button', { type: 'button', class: 'uploader-remove', 'aria-label': `${t('up.remove')} ${name || ''}`, 'data-testid': `${testid}-remove`,
        onclick: () => {
          const i = entries.indexOf(en);
          if (i >= 0) entries.splice(i, 1);
          if (en.xhrAbort) en.xhrAbort();
          if (en.localUrl) URL.revokeObjectURL(en.localUrl);
          renderEntries(); changed();
        } }, icon('close')));
  }

  async function startUpload(en) {
    en.state = 'uploading'; en.progress = 0; en.error = null;
    renderEntries();
    if (en.file.size > MAX_BYTES) {
      en.state = 'error'; en.error = t('err.too_large'); en.retryable = false;
      renderEntries(); return;
    }
    try {
      const att = await uploadFile(en.file, (p) => {
        en.progress = p;
        const node = grid.children[entries.indexOf(en)];
        if (node) {
          const bar = node.querySelector('.progress-bar');
          if (bar) bar.style.width = `${p}%`;
          const pb = node.querySelector('.progress');
          if (pb) pb.setAttribute('aria-valuenow', String(p));
          const txt = node.querySelector('.uploader-status span');
          if (txt) txt.textContent = t('up.uploading', { p });
        }
      });
      if (!entries.includes(en)) return;
      en.att = att; en.state = 'done';
    } catch (err) {
      if (!entries.includes(en)) return;
      en.state = 'error';
      en.retryable = !(err instanceof ApiError) || !(err.status === 413 || err.status === 415);
      en.error = err instanceof ApiError && err.status === 413 ? t('err.too_large')
        : err instanceof ApiError && err.status === 415 ? t('err.unsupported_type') : `${t('up.failed')}：${errorMessage(err)}`;
    }
    renderEntries(); changed();
  }

  function addFiles(files) {
    const list = [...files];
    const room = max - entries.length;
    if (list.length > room) toast(t('up.full', { max }), 'warn');
    for (const f of list.slice(0, Math.max(0, room))) {
      const en = { key: uuid(), file: f, state: 'uploading', progress: 0 };
      if (/^image\//.test(f.type)) en.localUrl = URL.createObjectURL(f);
      entries.push(en);
      startUpload(en);
    }
    renderEntries(); changed();
  }

  pickInput.addEventListener('change', () => { addFiles(pickInput.files); pickInput.value = ''; });
  camInput.addEventListener('change', () => { addFiles(camInput.files); camInput.value = ''; });

  for (const a of initial || []) if (a && a.id) entries.push({ key: a.id, att: a, state: 'done' });
  renderEntries();

  return {
    element,
    ids: () => entries.filter((e) => e.state === 'done' && e.att).map((e) => e.att.id),
    items: () => entries.filter((e) => e.state === 'done' && e.att).map((e) => ({ id: e.att.id, file_name: e.att.file_name, content_type: e.att.content_type, size: e.att.size })),
    busy: () => entries.some((e) => e.state === 'uploading'),
    failed: () => entries.filter((e) => e.state === 'error').length,
    clear: () => { entries.splice(0); renderEntries(); changed(); },
  };
}
