// core/attachments.js — the files of a ticket, a comment or a timeline entry: image thumbnails
// (fetched with the token, shown from blob: URLs; a tap opens the full picture) and document
// chips (icon, kind, name, size) that download through a signed link (api.download).
//   attachmentsView([{id, file_name, content_type, size}]) → Node | null
//   fileKind(content_type) → 'PDF' | 'Word' | 'Excel' | ''
//
// Test ids (stable, for tests/e2e):
//   attachments attachment-image attachment-file (data-kind pdf|word|excel)

import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { errorMessage } from './errors.js';
import { blobUrl, download } from './api.js';
import { openDialog } from './dialogs.js';
import { toast } from './feedback.js';
import { fmtSize } from './format.js';

function isImage(a) { return /^image\//.test(a.content_type || ''); }

/** The kind of a document, as its chip names it. */
export function fileKind(contentType) {
  const ct = contentType || '';
  if (ct === 'application/pdf') return 'PDF';
  if (ct === 'application/msword' || ct.includes('wordprocessingml')) return 'Word';
  if (ct === 'application/vnd.ms-excel' || ct.includes('spreadsheetml')) return 'Excel';
  return '';
}

function openImage(url, name) {
  openDialog((dlg, finish) => {
    dlg.classList.add('dialog-image');
    dlg.append(
      h('img', { src: url, alt: name || '' }),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => finish(null) }, t('common.close'))));
    dlg.addEventListener('click', (e) => { if (e.target === dlg) finish(null); });
  });
}

export function attachmentsView(attachments) {
  const list = attachments || [];
  if (!list.length) return null;
  const ordered = [...list.filter(isImage), ...list.filter((a) => !isImage(a))];
  return h('div', { class: 'attachments', 'data-testid': 'attachments' },
    ordered.map((a) => {
      const path = `/attachments/${encodeURIComponent(a.id)}`;
      if (isImage(a)) {
        const img = h('img', { alt: a.file_name || t('att.title'), class: 'att-img' });
        const btn = h('button', { type: 'button', class: 'att-thumb loading', title: a.file_name || '', 'data-testid': 'attachment-image',
          'aria-label': `${t('att.open')} ${a.file_name || ''}` }, img);
        blobUrl(path).then((u) => {
          img.src = u; btn.classList.remove('loading');
          btn.addEventListener('click', () => openImage(u, a.file_name));
        }, () => { btn.classList.remove('loading'); btn.classList.add('failed'); btn.replaceChildren(h('span', { class: 'att-failed' }, t('att.loadFailed'))); });
        return btn;
      }
      const kind = fileKind(a.content_type);
      return h('button', {
        type: 'button', class: ['att-file', kind && `att-${kind.toLowerCase()}`], 'data-testid': 'attachment-file', 'data-kind': kind.toLowerCase() || null,
        title: a.file_name || '', 'aria-label': `${t('att.download')} ${a.file_name || ''}`,
        onclick: () => download(path).catch((e) => toast(errorMessage(e), 'error')),
      }, icon('file'), kind ? h('span', { class: 'att-kind' }, kind) : null,
      h('span', { class: 'att-name' }, a.file_name || t('att.title')), h('span', { class: 'att-size' }, fmtSize(a.size)));
    }));
}
