// core/uploader.js — the photo and file picker of the filing, supplement, progress and
// resolution forms: a picker (photos, PDF, Word, Excel) and a camera button; each file uploads at
// once with its progress, error, retry and remove. Photos are made smaller first (shrinkPhoto:
// long side at most 1,920 px, JPEG at 0.85, turned upright by their EXIF orientation); GIFs and
// smaller photos go as they are. Documents show as a chip: icon, kind, name, size.
//   uploader({max: 9, initial, onChange, testid, photos, field}) → {element, ids(), items(), busy(), failed(), clear()}
//   (items() are the uploaded attachments, for drafts; `photos`: pictures only, as a visit's
//   photos are; `field`: the request's field its errors belong to, attachment_ids by default).
//   shrinkPhoto(file) → Promise<File> (the same file when there is nothing to gain).
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
import { fmtSize } from './format.js';
import { fileKind } from './attachments.js';

const MAX_BYTES = 10 * 1024 * 1024;
/** The longest side of a photo as uploaded, and its JPEG quality. */
const MAX_SIDE = 1920;
const QUALITY = 0.85;
/** What the picker offers: what the server takes (it decides by the bytes). */
const ACCEPT = ['image/*', 'application/pdf', '.pdf', '.doc', '.docx', '.xls', '.xlsx', 'application/msword',
  'application/vnd.ms-excel', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'].join(',');

/** The kind of a picked file, by its type or else its name's extension. */
function kindOf(type, name) {
  const k = fileKind(type);
  if (k) return k;
  const ext = ((name || '').split('.').pop() || '').toLowerCase();
  return { pdf: 'PDF', doc: 'Word', docx: 'Word', xls: 'Excel', xlsx: 'Excel' }[ext] || '';
}

function decodeWithImg(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => { URL.revokeObjectURL(url); resolve(img); };
    img.onerror = () => { URL.revokeObjectURL(url); reject(new Error('undecodable')); };
    img.src = url;
  });
}

/**
 * A photo as it is worth uploading: a JPEG, PNG or WebP longer than 1,920 px is drawn smaller
 * (upright: createImageBitmap's imageOrientation 'from-image', or an <img>, which browsers turn by
 * its EXIF orientation) and sent as a JPEG at 0.85. GIFs (which may move), smaller photos, what
 * cannot be decoded, and a result no smaller than the original are left as they were.
 */
export async function shrinkPhoto(file) {
  if (!/^image\/(jpeg|png|webp)$/.test(file.type || '')) return file;
  let source = null;
  let width = 0;
  let height = 0;
  try {
    if (typeof createImageBitmap === 'function') {
      try { source = await createImageBitmap(file, { imageOrientation: 'from-image' }); } catch { source = await createImageBitmap(file); }
      width = source.width; height = source.height;
    }
  } catch { source = null; }
  if (!source) {
    try { source = await decodeWithImg(file); } catch { return file; }
    width = source.naturalWidth; height = source.naturalHeight;
  }
  const done = () => { if (source && typeof source.close === 'function') source.close(); };
  const long = Math.max(width, height);
  if (!long || long <= MAX_SIDE) { done(); return file; }
  const scale = MAX_SIDE / long;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) { done(); return file; }
  // A transparent PNG becomes a JPEG on white, not on black.
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  done();
  const blob = await new Promise((resolve) => { canvas.toBlob(resolve, 'image/jpeg', QUALITY); });
  if (!blob || blob.size >= file.size) return file;
  const name = `${(file.name || 'photo').replace(/\.[^.]*$/, '')}.jpg`;
  return new File([blob], name, { type: 'image/jpeg', lastModified: Date.now() });
}

export function uploader({ max = 9, initial = [], onChange, testid = 'uploader', photos = false, field = 'attachment_ids' } = {}) {
  const entries = []; // {key, file?, att?, state: 'uploading'|'done'|'error', progress, error, localUrl}
  const grid = h('div', { class: 'uploader-grid' });
  const hint = h('div', { class: 'uploader-hint muted' }, t(photos ? 'up.hintPhotos' : 'up.hint', { max }));
  const changed = () => { if (onChange) onChange(); };

  const pickInput = h('input', { type: 'file', accept: photos ? 'image/*' : ACCEPT, multiple: true, class: 'sr-only', 'data-testid': `${testid}-input`, tabindex: '-1', 'aria-hidden': 'true' });
  const camInput = h('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'sr-only', 'data-testid': `${testid}-camera`, tabindex: '-1', 'aria-hidden': 'true' });

  const addBtns = h('div', { class: 'uploader-add' },
    h('button', { type: 'button', class: 'uploader-btn', 'data-testid': `${testid}-pick`, onclick: () => pickInput.click() }, icon('image'), h('span', null, t(photos ? 'up.pickPhotos' : 'up.pick'))),
    h('button', { type: 'button', class: 'uploader-btn', 'data-testid': `${testid}-shoot`, onclick: () => camInput.click() }, icon('camera'), h('span', null, t('up.camera'))));

  const element = h('div', { class: 'uploader', 'data-testid': testid, 'data-field': field }, grid, addBtns, hint, pickInput, camInput);

  function renderEntries() {
    grid.replaceChildren(...entries.map(entryNode));
    addBtns.classList.toggle('hidden', entries.length >= max);
  }

  function entryNode(en) {
    const name = en.att ? en.att.file_name : en.file && en.file.name;
    const type = en.att ? en.att.content_type : en.file && en.file.type;
    const size = en.att ? en.att.size : en.file && en.file.size;
    let preview;
    if (/^image\//.test(type || '')) {
      preview = h('img', { class: 'uploader-img', alt: name || '' });
      preview.addEventListener('error', () => preview.replaceWith(h('div', { class: 'uploader-fileicon' }, icon('image'))), { once: true });
      if (en.localUrl) preview.src = en.localUrl;
      else if (en.att) blobUrl(`/attachments/${encodeURIComponent(en.att.id)}`).then((u) => { preview.src = u; }, () => {});
    } else {
      const kind = kindOf(type, name);
      preview = h('div', { class: ['uploader-fileicon', 'att-file-preview', kind && `att-${kind.toLowerCase()}`], 'data-kind': kind.toLowerCase() || null },
        icon('file'), kind ? h('span', { class: 'att-kind' }, kind) : null, size ? h('span', { class: 'uploader-size' }, fmtSize(size)) : null);
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
    if (!en.shrunk) {
      try { en.file = await shrinkPhoto(en.file); } catch { /* sent as it is */ }
      en.shrunk = true;
      if (!entries.includes(en)) return;
    }
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
