// core/attachments.js — a ticket's or comment's files: image thumbnails (fetched with the token,
// shown from blob: URLs; a tap opens the full picture) and file buttons that download.
//   attachmentsView([{id, file_name, content_type, size}]) → Node | null
//
// Test ids (stable, for tests/e2e):
//   attachments attachment-image attachment-file

import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { errorMessage } from './errors.js';
import { blobUrl, download } from './api.js';
import { openDialog } from './dialogs.js';
import { toast } from './feedback.js';
import { fmtSize } from './format.js';

function isImage(a) { return /^image\//.test(a.content_type || ''); }

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
      return h('button', {
        type: 'button', class: 'att-file', 'data-testid': 'attachment-file',
        onclick: () => download(path, a.file_name).catch((e) => toast(errorMessage(e), 'error')),
      }, icon('file'), h('span', { class: 'att-name' }, a.file_name || 'PDF'), h('span', { class: 'att-size' }, fmtSize(a.size)));
    }));
}
