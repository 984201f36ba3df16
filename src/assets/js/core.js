// core.js — the shared shell of the 企业哨 web app (vanilla ES module, no build step).
//
// EXPORTS (stable; staff.js / admin.js / enterprise.js build on these):
//   h(tag, attrs?, ...children)        DOM builder; string children become text nodes (never HTML); attrs: class (string|array),
//                                      on<event>: fn, ref: fn(el), value/checked/selected set as properties, others via setAttribute; 'style' is refused.
//   svg(tag, attrs?, ...children)      same for SVG elements.
//   icon(name, cls?)                   a small inline SVG icon: home list user plus back chevron camera file close check clock bell chart settings search logout building phone image download refresh alert whistle megaphone edit.
//   t(key, vars?)                      translated string; '{name}' placeholders filled from vars; falls back to zh, then to the key.
//   addStrings(zh, en)                 merge more translations (flat objects: {'e.home.title': '首页'}).
//   lang() / setLang('zh'|'en')        current language / switch (persisted in localStorage; re-renders the current route).
//   ApiError                           class: {status, code, message, fields, retryAfter}; status 0 + code 'network' when the server was not reached.
//   errorMessage(err)                  a human message for any error in the current language.
//   api(method, path, body?, opts?)    fetch JSON; path '/tickets' → '/api/v1/tickets' ('/api/...' kept); body FormData → multipart, else JSON;
//                                      opts {query: {k: v}, headers: {}, auth: true, signal, redirectOn401: true}; resolves parsed JSON or null; throws ApiError.
//                                      An expired access token is refreshed once (one refresh at a time, across tabs) and the request retried;
//                                      if that fails the session is dropped and the app goes to '#/login' (the wanted hash is remembered).
//   apiBlob(path, opts?)               → Promise<Blob> with the Bearer header.
//   blobUrl(path)                      → Promise<string> object URL for <img src> (attachments cached for the session; others revoked on the next route).
//   download(path, filename?)          fetch with the Bearer header and save (name from Content-Disposition when not given).
//   uploadFile(file, onProgress?)      POST /api/v1/attachments (part 'file') with upload progress → Promise<attachment>; throws ApiError.
//   session                            {user(), role(), token(), signedIn(), signIn(loginResponse), setUser(user), signOut()} — tokens in localStorage only.
//   homeOf(role)                       '#/e' | '#/c' | '#/d' | '#/a'.
//   afterSignIn()                      go to the hash remembered before login (if the role may see it) or to the role's home.
//   route(pattern, render, opts?)      declare '#/e/tickets/:id'; render(params, query) → Node | Promise<Node>;
//                                      opts {roles: ['enterprise'], public: false, guestOnly: false}. Static segments beat ':params'.
//   navigate(hash, {replace}?)         go to a hash (re-renders when it is the current one).
//   refresh()                          re-render the current route.
//   start()                            install the router and render the current hash.
//   currentHash()                      the current hash ('#/e/tickets/…?x=1').
//   onLeave(fn)                        run fn when the current route is left (timers, listeners).
//   setTabs(role, [{hash, label, icon, testid}])  the bottom tab bar of a role ('label' is a t() key or text).
//   page({title, back, actions, body, tabbar, wide, className})  standard page: red header (back: true | '#/hash' | fn), body, bottom tab bar
//                                      (tabbar: true → the signed-in role's tabs, or an explicit array). Returns the page Node.
//   toast(msg, kind?)                  kind 'info' | 'success' | 'error' | 'warn'.
//   confirmDialog(msg, {okText, cancelText, danger}?)  → Promise<boolean>.
//   promptDialog(msg, {multiline, placeholder, value, required, maxLength, okText}?)  → Promise<string|null> (null = cancelled).
//   field(label, input, hint?, {required}?)  a labelled form cell (.field) with a hint and an error slot; links label/hint/error to the input.
//   showFieldErrors(form, apiError)    shows error.fields under the inputs with those names (nested 'a[0]' → 'a'); the rest in the form's
//                                      .form-error box (or a toast); focuses the first; returns true if the error had fields.
//   clearFieldErrors(form)             removes those messages.
//   loading(text?) / empty(text?, action?) / errorState(err, retry?)  state blocks.
//   fmtDateTime(iso) / fmtDate(iso) / fmtTime(iso)  Asia/Shanghai, 'YYYY-MM-DD HH:mm' / 'YYYY-MM-DD' / 'HH:mm'; '' for null.
//   fmtDue(iso)                        {text, cls} e.g. '剩 2 天' / '已超期 3 天' with a class due-ok|due-soon|due-over.
//   fmtSize(bytes)                     '1.2 MB'.
//   statusTag(status) / kindTag(kind) / ratingTag(rating)  coloured tags (.tag .tag-<status>).
//   timeline(events, opts?)            vertical timeline, newest first; opts {comments, attachments, deptName(id), userName(id),
//                                      commentAuthor(comment) → label, oldestFirst}. Comments and their attachments are merged in by time.
//   attachmentsView(attachments)       image thumbnails (blobUrl, tap → full view) and file links (download) for [{id, file_name, content_type, size}].
//   uploader({max: 9, initial, onChange, testid})  file picker + camera; uploads each file, per-file progress/error/retry/remove;
//                                      → {element, ids(), items(), busy()}; items() are the uploaded attachments (for drafts).
//   cell({label, value, to, onClick, chevron, testid, cls}) / cells(title?, ...cellNodes)  list rows (label left, value right, chevron).
//   segmented({name, options: [{value, label, testid}], value, onChange, label})  radio-based segmented control → Node (.seg).
//   tabs([{value, label, testid, badge}], active, onChange)  top tabs → Node (.tabs).
//   qs(obj)                            '?a=1&b=2' without empty values ('' when none).
//   uuid()                             a random UUID v4.
//   store.get(key, fallback) / store.set(key, value) / store.remove(key)  JSON in localStorage (errors swallowed).
//
// CSS CLASSES (app.css): .page .page.wide .topbar .topbar-back .topbar-title .topbar-actions .page-body .tabbar .tabbar-item
//   .cells .cells-title .cell .cell-label .cell-value .cell-chevron .field .field-label .field-hint .field-error .form-error
//   .input .textarea .select .btn .btn-primary .btn-ghost .btn-danger .btn-block .btn-small .btn-row .tag .tag-<status>
//   .seg .tabs .tab .card .card-title .list .list-item .muted .badge .state .state-loading .state-empty .state-error
//   .timeline .tl-item .attachments .att-thumb .att-file .uploader .kpis .kpi .toolbar .grid-2 .table-wrap .table .hidden .sr-only

// ---------------------------------------------------------------------------------------------
// DOM

const SVG_NS = 'http://www.w3.org/2000/svg';
const PROPS = new Set(['value', 'checked', 'selected', 'indeterminate', 'defaultValue']);

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class' || k === 'className') {
      const cls = Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v);
      if (cls) el.setAttribute('class', cls);
    } else if (k === 'style') {
      console.warn('h(): inline style refused (CSP); use a class');
    } else if (k === 'ref') {
      if (typeof v === 'function') v(el);
    } else if (k.startsWith('on')) {
      if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (PROPS.has(k)) {
      el[k] = v;
    } else if ((k === 'href' || k === 'src' || k === 'action') && /^\s*javascript:/i.test(String(v))) {
      console.warn('h(): javascript: URL refused');
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === true) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** DOM builder. Text children are text nodes; there is no way to inject HTML. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs && (attrs instanceof Node || typeof attrs !== 'object' || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** SVG element builder. */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false || k === 'style') continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

const ICONS = {
  home: 'M3 11.5 12 4l9 7.5M5.5 9.5V20h5v-6h3v6h5V9.5',
  list: 'M8 6h13M8 12h13M8 18h13M3.5 6h.01M3.5 12h.01M3.5 18h.01',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8ZM4 21c0-4 3.6-6.5 8-6.5s8 2.5 8 6.5',
  plus: 'M12 5v14M5 12h14',
  back: 'M15 5l-7 7 7 7',
  chevron: 'M9 5l7 7-7 7',
  camera: 'M4 8h3l2-3h6l2 3h3v11H4zM12 17a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7Z',
  file: 'M6 3h8l4 4v14H6zM14 3v4h4M9 13h6M9 17h6',
  close: 'M6 6l12 12M18 6 6 18',
  check: 'M5 12.5l4.5 4.5L19 7',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18ZM12 7v5l3 2',
  bell: 'M6 16V11a6 6 0 1 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0',
  chart: 'M4 20V10M10 20V4M16 20v-7M22 20H2',
  settings: 'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6ZM19 12l2-1-1-3-2 .3-1.5-1.5L16.8 5 14 4l-1 2h-2L10 4l-2.8 1 .3 1.8L6 8.3 4 8l-1 3 2 1v0l-2 1 1 3 2-.3 1.5 1.5-.3 1.8 2.8 1 1-2h2l1 2 2.8-1-.3-1.8 1.5-1.5 2 .3 1-3z',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14ZM20 20l-4-4',
  logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10',
  building: 'M4 21V5l8-2v18M12 8h8v13M7 8h2M7 12h2M7 16h2M15 12h2M15 16h2M2 21h20',
  phone: 'M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2',
  image: 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15.5 9.5h.01',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  refresh: 'M20 11a8 8 0 1 0-2.3 5.7M20 5v6h-6',
  alert: 'M12 3 2 20h20zM12 10v4M12 17h.01',
  whistle: 'M3 12a5 5 0 1 0 10 0 5 5 0 0 0-10 0M13 12h8V8H9M8 12h.01',
  megaphone: 'M3 10v4h3l7 4.5v-13L6 10zM16.5 9a4 4 0 0 1 0 6M19 6.5a7.5 7.5 0 0 1 0 11',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4',
};

/** A small stroke icon (decorative: aria-hidden). */
export function icon(name, cls) {
  return svg('svg', { class: ['icon', cls], viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
    svg('path', { d: ICONS[name] || ICONS.alert, fill: 'none', stroke: 'currentColor', 'stroke-width': '2',
      'stroke-linecap': 'round', 'stroke-linejoin': 'round' }));
}

// ---------------------------------------------------------------------------------------------
// Storage

export const store = {
  get(key, fallback = null) {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch { return fallback; }
  },
  set(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* quota or privacy mode */ }
  },
  remove(key) {
    try { localStorage.removeItem(key); } catch { /* ignore */ }
  },
};

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj || {})) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

// ---------------------------------------------------------------------------------------------
// i18n

const LANG_KEY = 'qys.lang';
const STRINGS = { zh: {}, en: {} };
let currentLang = store.get(LANG_KEY, 'zh') === 'en' ? 'en' : 'zh';

export function addStrings(zh, en) {
  Object.assign(STRINGS.zh, zh || {});
  Object.assign(STRINGS.en, en || {});
}

export function lang() { return currentLang; }

export function setLang(l) {
  currentLang = l === 'en' ? 'en' : 'zh';
  store.set(LANG_KEY, currentLang);
  document.documentElement.lang = currentLang === 'en' ? 'en' : 'zh-CN';
  if (started) refresh();
}

export function t(key, vars) {
  let s = STRINGS[currentLang][key];
  if (s === undefined) s = STRINGS.zh[key];
  if (s === undefined) s = key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined || vars[k] === null ? m : String(vars[k])));
  return s;
}

addStrings({
  'app.name': '企业哨',
  'app.slogan': '企业吹哨 · 部门报到',
  'common.back': '返回',
  'common.home': '返回首页',
  'common.ok': '确定',
  'common.cancel': '取消',
  'common.confirm': '确认',
  'common.submit': '提交',
  'common.save': '保存',
  'common.retry': '重试',
  'common.loading': '加载中…',
  'common.empty': '暂无数据',
  'common.more': '加载更多',
  'common.noMore': '没有更多了',
  'common.required': '必填',
  'common.optional': '选填',
  'common.close': '关闭',
  'common.remove': '删除',
  'common.none': '无',
  'common.error': '出错了',
  'common.notFound': '没有找到该内容，可能已被删除或您无权查看',
  'common.signOutConfirm': '确定退出登录吗？',
  'common.sessionExpired': '登录已过期，请重新登录',
  'common.download': '下载',
  'common.chars': '{n}/{max}',
  'status.submitted': '待受理',
  'status.accepted': '已受理',
  'status.assigned': '已交办',
  'status.in_progress': '办理中',
  'status.resolved': '已办结',
  'status.closed': '已销号',
  'status.rejected': '不予受理',
  'status.withdrawn': '已撤回',
  'kind.problem': '问题',
  'kind.suggestion': '建议',
  'kind.inquiry': '咨询',
  'rating.satisfied': '满意',
  'rating.basically_satisfied': '基本满意',
  'rating.unsatisfied': '不满意',
  'role.enterprise': '企业用户',
  'role.cadre': '干部',
  'role.dispatcher': '受理员',
  'role.admin': '管理员',
  'role.system': '系统',
  'channel.online': '网上提交',
  'channel.phone': '电话',
  'channel.visit': '走访',
  'priority.normal': '普通',
  'priority.urgent': '紧急',
  'action.file': '提交诉求',
  'action.accept': '受理',
  'action.reject': '不予受理',
  'action.assign': '交办',
  'action.reassign': '重新交办',
  'action.sign': '签收',
  'action.return': '退回',
  'action.progress': '办理进展',
  'action.urge': '催办',
  'action.resolve': '办结',
  'action.revisit': '回访评价',
  'action.reopen': '不满意，重办',
  'action.close': '销号',
  'action.withdraw': '撤回',
  'action.remind': '到期提醒',
  'action.sign_remind': '签收提醒',
  'action.escalate': '督办',
  'action.extension_request': '申请延期',
  'action.extension_approve': '延期已批准',
  'action.extension_deny': '延期未批准',
  'action.comment': '留言',
  'tl.dept': '承办单位：{name}',
  'tl.due': '办理期限：{time}',
  'tl.rating': '评价：{rating}',
  'tl.adopted': '建议已采纳',
  'tl.notAdopted': '建议未采纳',
  'tl.noResponse': '超过回访期限未评价，自动销号',
  'tl.extDays': '延期 {days} 个工作日',
  'tl.level': '督办级别：{level}',
  'tl.empty': '暂无办理记录',
  'due.left': '剩 {n} 天',
  'due.today': '今天到期',
  'due.over': '已超期 {n} 天',
  'due.overToday': '已超期',
  'err.network': '网络连接失败，请检查网络后重试',
  'err.server': '服务器开小差了，请稍后重试',
  'err.unavailable': '服务暂时不可用，请稍后重试',
  'err.invalid_credentials': '账号或密码错误',
  'err.invalid_code': '验证码错误或已过期',
  'err.too_many_requests': '操作太频繁，请稍后再试',
  'err.forbidden': '没有权限执行此操作',
  'err.not_found': '没有找到该内容',
  'err.illegal_transition': '当前状态下不能执行该操作，请刷新后重试',
  'err.concurrent_update': '内容已被他人更新，请刷新后重试',
  'err.duplicate': '该信息已被使用',
  'err.too_large': '文件超过 10 MB，请压缩后再上传',
  'err.payload_too_large': '内容过大',
  'err.unsupported_type': '不支持的文件类型，仅支持 JPG、PNG、GIF、WebP 图片和 PDF',
  'err.unsupported_media_type': '不支持的文件类型',
  'err.validation_failed': '请检查填写的内容',
  'err.idempotency_key_reused': '提交内容已变化，请重新提交',
  'err.token_expired': '登录已过期，请重新登录',
  'err.invalid_token': '登录已失效，请重新登录',
  'err.missing_token': '请先登录',
  'err.extension_pending': '已有延期申请在审批中',
  'err.extension_decided': '该延期申请已处理',
  'err.import_rejected': '导入文件有错误，未导入任何数据',
  'fe.required': '此项为必填项',
  'fe.empty': '不能为空',
  'fe.atMost': '不能超过 {n} 个字符',
  'fe.atLeast': '至少 {n} 个字符',
  'fe.invalid': '格式不正确',
  'up.add': '添加图片/文件',
  'up.camera': '拍照',
  'up.pick': '相册/文件',
  'up.hint': '最多 {max} 个，支持图片和 PDF，单个不超过 10 MB',
  'up.uploading': '上传中 {p}%',
  'up.failed': '上传失败',
  'up.retry': '重试',
  'up.remove': '移除',
  'up.full': '最多只能上传 {max} 个附件',
  'up.busy': '附件正在上传，请稍候',
  'att.title': '附件',
  'att.open': '查看',
  'att.loadFailed': '加载失败',
  'dlg.prompt': '请输入',
  'dlg.requiredText': '请填写内容',
}, {
  'app.name': 'Qiyeshao',
  'app.slogan': 'Enterprises blow the whistle, departments report for duty',
  'common.back': 'Back',
  'common.home': 'Home',
  'common.ok': 'OK',
  'common.cancel': 'Cancel',
  'common.confirm': 'Confirm',
  'common.submit': 'Submit',
  'common.save': 'Save',
  'common.retry': 'Retry',
  'common.loading': 'Loading…',
  'common.empty': 'Nothing here yet',
  'common.more': 'Load more',
  'common.noMore': 'No more',
  'common.required': 'Required',
  'common.optional': 'Optional',
  'common.close': 'Close',
  'common.remove': 'Remove',
  'common.none': 'None',
  'common.error': 'Something went wrong',
  'common.notFound': 'Not found: it may have been removed, or you may not see it',
  'common.signOutConfirm': 'Sign out?',
  'common.sessionExpired': 'Your session has expired, please sign in again',
  'common.download': 'Download',
  'status.submitted': 'Submitted',
  'status.accepted': 'Accepted',
  'status.assigned': 'Assigned',
  'status.in_progress': 'In progress',
  'status.resolved': 'Resolved',
  'status.closed': 'Closed',
  'status.rejected': 'Rejected',
  'status.withdrawn': 'Withdrawn',
  'kind.problem': 'Problem',
  'kind.suggestion': 'Suggestion',
  'kind.inquiry': 'Inquiry',
  'rating.satisfied': 'Satisfied',
  'rating.basically_satisfied': 'Basically satisfied',
  'rating.unsatisfied': 'Unsatisfied',
  'role.enterprise': 'Enterprise',
  'role.cadre': 'Cadre',
  'role.dispatcher': 'Dispatcher',
  'role.admin': 'Administrator',
  'role.system': 'System',
  'channel.online': 'Online',
  'channel.phone': 'Phone',
  'channel.visit': 'Visit',
  'priority.normal': 'Normal',
  'priority.urgent': 'Urgent',
  'action.file': 'Filed',
  'action.accept': 'Accepted',
  'action.reject': 'Rejected',
  'action.assign': 'Assigned',
  'action.reassign': 'Re-assigned',
  'action.sign': 'Signed for',
  'action.return': 'Returned',
  'action.progress': 'Progress',
  'action.urge': 'Urged',
  'action.resolve': 'Resolved',
  'action.revisit': 'Rated',
  'action.reopen': 'Unsatisfied, reopened',
  'action.close': 'Closed',
  'action.withdraw': 'Withdrawn',
  'action.remind': 'Deadline reminder',
  'action.sign_remind': 'Sign reminder',
  'action.escalate': 'Escalated',
  'action.extension_request': 'Extension requested',
  'action.extension_approve': 'Extension approved',
  'action.extension_deny': 'Extension denied',
  'action.comment': 'Message',
  'tl.dept': 'Department: {name}',
  'tl.due': 'Due: {time}',
  'tl.rating': 'Rating: {rating}',
  'tl.adopted': 'Suggestion adopted',
  'tl.notAdopted': 'Suggestion not adopted',
  'tl.noResponse': 'Not rated in time, closed automatically',
  'tl.extDays': 'Extended by {days} working days',
  'tl.level': 'Escalation level {level}',
  'tl.empty': 'No records yet',
  'due.left': '{n} days left',
  'due.today': 'Due today',
  'due.over': 'Overdue by {n} days',
  'due.overToday': 'Overdue',
  'err.network': 'Could not reach the server; check your connection and retry',
  'err.server': 'Server error, please try again later',
  'err.unavailable': 'Service temporarily unavailable, please retry later',
  'err.invalid_credentials': 'Wrong account or password',
  'err.invalid_code': 'Wrong or expired verification code',
  'err.too_many_requests': 'Too many attempts, please wait a moment',
  'err.forbidden': 'You may not do this',
  'err.not_found': 'Not found',
  'err.illegal_transition': 'Not possible in the current status; refresh and retry',
  'err.concurrent_update': 'Someone else changed it meanwhile; refresh and retry',
  'err.duplicate': 'Already taken',
  'err.too_large': 'The file is larger than 10 MB',
  'err.payload_too_large': 'Too large',
  'err.unsupported_type': 'Unsupported file type: JPG, PNG, GIF, WebP images and PDF only',
  'err.unsupported_media_type': 'Unsupported type',
  'err.validation_failed': 'Please check the form',
  'err.idempotency_key_reused': 'The request changed; please submit again',
  'err.token_expired': 'Session expired, please sign in again',
  'err.invalid_token': 'Session no longer valid, please sign in again',
  'err.missing_token': 'Please sign in',
  'err.extension_pending': 'An extension request is already pending',
  'err.extension_decided': 'This extension request was already decided',
  'err.import_rejected': 'The file has errors; nothing was imported',
  'fe.required': 'Required',
  'fe.empty': 'Must not be empty',
  'fe.atMost': 'At most {n} characters',
  'fe.atLeast': 'At least {n} characters',
  'fe.invalid': 'Invalid format',
  'up.add': 'Add photos/files',
  'up.camera': 'Camera',
  'up.pick': 'Photos/files',
  'up.hint': 'Up to {max}: images or PDF, 10 MB each',
  'up.uploading': 'Uploading {p}%',
  'up.failed': 'Upload failed',
  'up.retry': 'Retry',
  'up.remove': 'Remove',
  'up.full': 'At most {max} attachments',
  'up.busy': 'Attachments are still uploading',
  'att.title': 'Attachments',
  'att.open': 'Open',
  'att.loadFailed': 'Failed to load',
  'dlg.prompt': 'Please enter',
  'dlg.requiredText': 'Please enter something',
});

// ---------------------------------------------------------------------------------------------
// Errors

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
function fieldMessage(msg) {
  if (currentLang === 'en' || typeof msg !== 'string') return msg;
  let m;
  if (/^is required$/i.test(msg)) return t('fe.required');
  if (/must not be (empty|blank)/i.test(msg)) return t('fe.empty');
  if ((m = /at most (\d+) characters/i.exec(msg))) return t('fe.atMost', { n: m[1] });
  if ((m = /at least (\d+) characters/i.exec(msg))) return t('fe.atLeast', { n: m[1] });
  return msg;
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
      if (currentLang === 'en') return err.message || t(key);
      return `${t(key)}：${parts.join('；')}`;
    }
    if (err.status === 413) return t('err.too_large');
    if (err.status === 415 && err.code !== 'unsupported_media_type') return t('err.unsupported_type');
    if (STRINGS.zh[key] !== undefined) {
      // For English the server's message is often the most precise.
      return currentLang === 'en' && err.message ? err.message : t(key);
    }
    return err.message || t('common.error');
  }
  return err.message || String(err);
}

// ---------------------------------------------------------------------------------------------
// Session

const SESSION_KEY = 'qys.session';
const NEXT_KEY = 'qys.next';

function readSession() { return store.get(SESSION_KEY, null); }

export const session = {
  user() { const s = readSession(); return s ? s.user : null; },
  role() { const s = readSession(); return s && s.user ? s.user.role : null; },
  token() { const s = readSession(); return s ? s.access_token : null; },
  signedIn() { return !!readSession(); },
  signIn(resp) {
    store.set(SESSION_KEY, {
      access_token: resp.access_token,
      refresh_token: resp.refresh_token,
      expires_at: Date.now() + (Number(resp.expires_in) || 900) * 1000,
      user: resp.user,
    });
  },
  setUser(user) {
    const s = readSession();
    if (s) { s.user = user; store.set(SESSION_KEY, s); }
  },
  /** Revoke the refresh token on the server (best effort) and forget everything. */
  signOut() {
    const s = readSession();
    store.remove(SESSION_KEY);
    clearBlobCache();
    if (s && s.refresh_token) {
      fetch('/api/v1/auth/logout', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: s.refresh_token }),
        keepalive: true,
      }).catch(() => {});
    }
  },
};

export function homeOf(role) {
  return { enterprise: '#/e', cadre: '#/c', dispatcher: '#/d', admin: '#/a' }[role] || '#/login';
}

function rememberNext(hash) {
  try {
    if (hash && !/^#\/(login|register)\b/.test(hash) && hash !== '#' && hash !== '#/') sessionStorage.setItem(NEXT_KEY, hash);
  } catch { /* ignore */ }
}

export function afterSignIn() {
  let next = null;
  try { next = sessionStorage.getItem(NEXT_KEY); sessionStorage.removeItem(NEXT_KEY); } catch { /* ignore */ }
  const role = session.role();
  if (next) {
    const m = matchRoute(next);
    if (m && !m.def.opts.guestOnly && allowed(m.def, role)) { navigate(next, { replace: true }); return; }
  }
  navigate(homeOf(role), { replace: true });
}

/** The session is gone (refresh refused): forget it and go to the login page, remembering where we were. */
function sessionLost() {
  const had = !!readSession();
  store.remove(SESSION_KEY);
  clearBlobCache();
  rememberNext(currentHash());
  if (had) toast(t('common.sessionExpired'), 'warn');
  if (!/^#\/(login|register)\b/.test(currentHash())) navigate('#/login', { replace: true });
}

let refreshing = null;

async function doRefresh() {
  const before = readSession();
  if (!before || !before.refresh_token) return false;
  const run = async () => {
    // Another tab may have refreshed while we waited for the lock: use its tokens.
    const now = readSession();
    if (!now) return false;
    if (now.refresh_token !== before.refresh_token) return true;
    let res;
    try {
      res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refresh_token: now.refresh_token }),
      });
    } catch {
      throw new ApiError(0, 'network', t('err.network'));
    }
    if (res.status === 401) return false;
    if (!res.ok) throw new ApiError(res.status, 'refresh_failed', t('err.server'));
    session.signIn(await res.json());
    return true;
  };
  if (navigator.locks && navigator.locks.request) return navigator.locks.request('qys-refresh', run);
  return run();
}

/** Refresh the access token, one refresh at a time. Resolves true when a fresh token is stored. */
function refreshOnce() {
  if (!refreshing) refreshing = doRefresh().finally(() => { refreshing = null; });
  return refreshing;
}

async function freshToken() {
  const s = readSession();
  if (!s) return null;
  if (s.expires_at && Date.now() > s.expires_at - 20000) {
    try {
      if (!(await refreshOnce())) return null;
    } catch { /* network: try the old token anyway */ }
  }
  const now = readSession();
  return now ? now.access_token : null;
}

// ---------------------------------------------------------------------------------------------
// API

function apiUrl(path, query) {
  let url = path.startsWith('/api/') || path.startsWith('http') ? path : `/api/v1${path.startsWith('/') ? '' : '/'}${path}`;
  if (query) {
    const q = qs(query);
    if (q) url += (url.includes('?') ? '&' : '?') + q.slice(1);
  }
  return url;
}

async function errorFrom(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const extra = {};
  if (body && body.rows) extra.rows = body.rows;
  const ra = res.headers.get('Retry-After');
  if (ra) extra.retryAfter = Number(ra);
  return new ApiError(res.status, body && body.error, body && body.message, body && body.fields, extra);
}

async function rawFetch(method, path, body, opts = {}) {
  const auth = opts.auth !== false;
  const url = apiUrl(path, opts.query);
  const send = async (token) => {
    const headers = { Accept: 'application/json', ...(opts.headers || {}) };
    let payload;
    if (body instanceof FormData || body instanceof Blob) payload = body;
    else if (body !== undefined && body !== null) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await fetch(url, { method, headers, body: payload, signal: opts.signal, cache: 'no-store' });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', t('err.network'));
    }
  };
  let token = auth ? await freshToken() : null;
  let res = await send(token);
  if (res.status === 401 && auth && readSession()) {
    let ok = false;
    if (token && session.token() && session.token() !== token) ok = true; // refreshed meanwhile by another call
    else { try { ok = await refreshOnce(); } catch { ok = false; } }
    if (ok) {
      token = session.token();
      res = await send(token);
    }
    if (res.status === 401) {
      const err = await errorFrom(res);
      if (opts.redirectOn401 !== false) sessionLost();
      throw err;
    }
  } else if (res.status === 401 && auth && opts.redirectOn401 !== false) {
    const err = await errorFrom(res);
    sessionLost();
    throw err;
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

/** JSON API call. */
export async function api(method, path, body, opts = {}) {
  const res = await rawFetch(method.toUpperCase(), path, body, opts);
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return text; }
}

export async function apiBlob(path, opts = {}) {
  const res = await rawFetch('GET', path, null, { ...opts, headers: { Accept: '*/*', ...(opts.headers || {}) } });
  return res.blob();
}

const blobCache = new Map(); // path → Promise<url> (attachments: immutable)
let routeBlobs = [];

function clearBlobCache() {
  for (const p of blobCache.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
  blobCache.clear();
}

export function blobUrl(path) {
  const cacheable = /\/attachments\/[^/?]+$/.test(path);
  if (cacheable && blobCache.has(path)) return blobCache.get(path);
  const p = apiBlob(path).then((b) => {
    const u = URL.createObjectURL(b);
    if (!cacheable) routeBlobs.push(u);
    return u;
  });
  if (cacheable) {
    blobCache.set(path, p);
    p.catch(() => blobCache.delete(path));
  }
  return p;
}

function filenameFrom(cd) {
  if (!cd) return null;
  let m = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(cd);
  if (m) { try { return decodeURIComponent(m[1].trim().replace(/^"|"$/g, '')); } catch { /* fall through */ } }
  m = /filename\s*=\s*"?([^";]+)"?/.exec(cd);
  return m ? m[1] : null;
}

export async function download(path, filename) {
  const res = await rawFetch('GET', path, null, { headers: { Accept: '*/*' } });
  const blob = await res.blob();
  const name = filename || filenameFrom(res.headers.get('Content-Disposition')) || 'download';
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'hidden' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function xhrUpload(file, token, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/attachments');
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    if (onProgress) {
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100)); };
    }
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', t('err.network')));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
    const fd = new FormData();
    fd.append('file', file, file.name || 'file');
    xhr.send(fd);
  });
}

export async function uploadFile(file, onProgress) {
  const first = await freshToken();
  let r = await xhrUpload(file, first, onProgress);
  if (r.status === 401 && readSession()) {
    let ok = false;
    if (first && session.token() && session.token() !== first) ok = true;
    else { try { ok = await refreshOnce(); } catch { ok = false; } }
    if (ok) r = await xhrUpload(file, session.token(), onProgress);
    if (r.status === 401) { sessionLost(); }
  }
  if (r.status < 200 || r.status >= 300) {
    const b = r.body || {};
    throw new ApiError(r.status, b.error, b.message, b.fields);
  }
  return r.body;
}

// ---------------------------------------------------------------------------------------------
// Router

const routes = [];
let started = false;
let renderSeq = 0;
let leaveFns = [];

/** Declare a route. */
export function route(pattern, render, opts = {}) {
  const segs = pattern.replace(/^#?\/?/, '').split('/').filter(Boolean);
  const score = segs.reduce((s, seg, i) => s + (seg.startsWith(':') ? 1 : 2) * 100 ** (10 - i), 0);
  routes.push({ pattern, segs, render, opts, score });
}

export function currentHash() { return location.hash || '#/'; }

function parseHash(hash) {
  const raw = (hash || '').replace(/^#/, '');
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const query = Object.fromEntries(new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : ''));
  return { segs: path.split('/').filter(Boolean), query };
}

function matchRoute(hash) {
  const { segs, query } = parseHash(hash);
  let best = null;
  for (const def of routes) {
    if (def.segs.length !== segs.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < segs.length; i++) {
      const p = def.segs[i];
      if (p.startsWith(':')) {
        try { params[p.slice(1)] = decodeURIComponent(segs[i]); } catch { params[p.slice(1)] = segs[i]; }
      } else if (p !== segs[i]) { ok = false; break; }
    }
    if (ok && (!best || def.score > best.def.score)) best = { def, params, query };
  }
  return best;
}

function allowed(def, role) {
  if (def.opts.public) return true;
  if (!role) return false;
  return !def.opts.roles || def.opts.roles.includes(role);
}

export function navigate(hash, opts = {}) {
  if (!hash.startsWith('#')) hash = `#${hash}`;
  if (hash === location.hash) { render(); return; }
  if (opts.replace) {
    history.replaceState(history.state, '', hash);
    render();
  } else {
    location.hash = hash; // hashchange renders
  }
}

export function refresh() { render(); }

export function onLeave(fn) { leaveFns.push(fn); }

function leaveRoute() {
  const fns = leaveFns; leaveFns = [];
  for (const fn of fns) { try { fn(); } catch (e) { console.error(e); } }
  const blobs = routeBlobs; routeBlobs = [];
  for (const u of blobs) URL.revokeObjectURL(u);
  document.querySelectorAll('dialog[open]').forEach((d) => d.close());
}

function appRoot() {
  let el = document.getElementById('app');
  if (!el) { el = h('div', { id: 'app' }); document.body.appendChild(el); }
  return el;
}

function mount(node) {
  const root = appRoot();
  root.replaceChildren(node);
  const title = node.querySelector && node.querySelector('.topbar-title');
  document.title = title && title.textContent ? `${title.textContent} - ${t('app.name')}` : t('app.name');
}

async function render() {
  const seq = ++renderSeq;
  leaveRoute();
  const hash = currentHash();
  const role = session.role();
  const m = matchRoute(hash);
  if (!m) {
    navigate(role ? homeOf(role) : '#/login', { replace: true });
    return;
  }
  if (!allowed(m.def, role)) {
    if (!role) { rememberNext(hash); navigate('#/login', { replace: true }); }
    else navigate(homeOf(role), { replace: true });
    return;
  }
  if (m.def.opts.guestOnly && role) { navigate(homeOf(role), { replace: true }); return; }
  let timer = setTimeout(() => { if (seq === renderSeq) mount(page({ title: t('app.name'), body: loading() })); }, 120);
  try {
    const node = await m.def.render(m.params, m.query);
    if (seq !== renderSeq) return;
    clearTimeout(timer); timer = null;
    mount(node);
    const main = appRoot().querySelector('.page-body');
    if (main && !document.activeElement?.closest?.('#app')) main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  } catch (err) {
    if (timer) clearTimeout(timer);
    if (seq !== renderSeq) return;
    if (err instanceof ApiError && err.status === 401) return; // sessionLost navigates
    if (!(err instanceof ApiError)) console.error(err);
    const home = homeOf(session.role());
    mount(page({ title: t('common.error'), back: true, body: [errorState(err, () => render()),
      h('div', { class: 'state-actions' }, h('a', { class: 'btn btn-ghost btn-small', href: home, 'data-testid': 'go-home' }, t('common.home')))] }));
  }
}

export function start() {
  if (started) return;
  started = true;
  document.documentElement.lang = currentLang === 'en' ? 'en' : 'zh-CN';
  window.addEventListener('hashchange', () => render());
  window.addEventListener('storage', (e) => {
    if (e.key === SESSION_KEY && !e.newValue && !/^#\/(login|register)\b/.test(currentHash())) {
      rememberNext(currentHash());
      navigate('#/login', { replace: true });
    } else if (e.key === LANG_KEY && e.newValue) {
      try { const l = JSON.parse(e.newValue); if (l !== currentLang) setLang(l); } catch { /* ignore */ }
    }
  });
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    const role = session.role();
    history.replaceState(history.state, '', role ? homeOf(role) : '#/login');
  }
  render();
}

// ---------------------------------------------------------------------------------------------
// Layout

const TABS = {};

export function setTabs(role, items) { TABS[role] = items; }

function tabbarNode(items) {
  const hash = currentHash().split('?')[0];
  let active = null;
  for (const it of items) {
    const base = it.hash.split('?')[0];
    if (hash === base || hash.startsWith(`${base}/`)) {
      if (!active || base.length > active.hash.split('?')[0].length) active = it;
    }
  }
  return h('nav', { class: 'tabbar', 'aria-label': t('app.name') },
    items.map((it) => h('a', {
      class: ['tabbar-item', it === active && 'active'],
      href: it.hash,
      'data-testid': it.testid,
      'aria-current': it === active ? 'page' : null,
    }, icon(it.icon || 'list'), h('span', null, t(it.label)), it.badge ? h('span', { class: 'badge' }, String(it.badge)) : null)));
}

export function page({ title, back, actions, body, tabbar, wide, className } = {}) {
  let backBtn = null;
  if (back) {
    backBtn = h('button', {
      type: 'button', class: 'topbar-back', 'aria-label': t('common.back'), 'data-testid': 'nav-back',
      onclick: () => {
        if (typeof back === 'function') back();
        else if (typeof back === 'string') navigate(back);
        else if (history.length > 1) history.back();
        else navigate(homeOf(session.role()));
      },
    }, icon('back'));
  }
  let bar = null;
  if (tabbar) {
    const items = Array.isArray(tabbar) ? tabbar : TABS[session.role()];
    if (items && items.length) bar = tabbarNode(items);
  }
  return h('div', { class: ['page', wide && 'wide', bar && 'has-tabbar', className] },
    h('header', { class: 'topbar' },
      backBtn || h('span', { class: 'topbar-spacer' }),
      h('h1', { class: 'topbar-title' }, title || t('app.name')),
      h('div', { class: 'topbar-actions' }, actions || null)),
    h('main', { class: 'page-body', tabindex: '-1' }, body),
    bar);
}

// ---------------------------------------------------------------------------------------------
// Feedback

let toastBox = null;

export function toast(msg, kind = 'info') {
  if (!toastBox || !toastBox.isConnected) {
    toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(toastBox);
  }
  const el = h('div', { class: ['toast', `toast-${kind}`], 'data-testid': 'toast', role: kind === 'error' ? 'alert' : null }, String(msg));
  while (toastBox.children.length >= 2) toastBox.firstChild.remove();
  toastBox.appendChild(el);
  setTimeout(() => { el.classList.add('leaving'); setTimeout(() => el.remove(), 300); }, kind === 'error' ? 4500 : 2000);
  return el;
}

function openDialog(build) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'dialog', 'data-testid': 'dialog' });
    let done = false;
    const finish = (v) => { if (done) return; done = true; resolve(v); if (dlg.open) dlg.close(); dlg.remove(); };
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(null); });
    dlg.addEventListener('close', () => finish(null));
    build(dlg, finish);
    document.body.appendChild(dlg);
    dlg.showModal();
  });
}

export function confirmDialog(msg, opts = {}) {
  return openDialog((dlg, finish) => {
    dlg.append(
      h('div', { class: 'dialog-body' }, h('p', { class: 'dialog-msg' }, String(msg))),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'dialog-cancel', onclick: () => finish(false) }, opts.cancelText || t('common.cancel')),
        h('button', { type: 'button', class: ['btn', opts.danger ? 'btn-danger' : 'btn-primary'], 'data-testid': 'dialog-ok', onclick: () => finish(true), autofocus: true }, opts.okText || t('common.ok'))));
  }).then((v) => v === true);
}

export function promptDialog(msg, opts = {}) {
  return openDialog((dlg, finish) => {
    const id = `dlg-${uuid().slice(0, 8)}`;
    const input = opts.multiline
      ? h('textarea', { id, class: 'textarea', rows: '4', placeholder: opts.placeholder || t('dlg.prompt'), maxlength: opts.maxLength ? String(opts.maxLength) : null, 'data-testid': 'dialog-input' })
      : h('input', { id, class: 'input', type: 'text', placeholder: opts.placeholder || t('dlg.prompt'), maxlength: opts.maxLength ? String(opts.maxLength) : null, 'data-testid': 'dialog-input' });
    if (opts.value) input.value = opts.value;
    const err = h('div', { class: 'field-error', role: 'alert' });
    const ok = () => {
      const v = input.value;
      if (opts.required && !v.trim()) { err.textContent = t('dlg.requiredText'); input.focus(); return; }
      finish(v);
    };
    if (!opts.multiline) input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); ok(); } });
    dlg.append(
      h('div', { class: 'dialog-body' }, h('label', { class: 'dialog-msg', for: id }, String(msg)), input, err),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'dialog-cancel', onclick: () => finish(null) }, t('common.cancel')),
        h('button', { type: 'button', class: ['btn', opts.danger ? 'btn-danger' : 'btn-primary'], 'data-testid': 'dialog-ok', onclick: ok }, opts.okText || t('common.ok'))));
    setTimeout(() => input.focus(), 0);
  });
}

// ---------------------------------------------------------------------------------------------
// Forms

let fieldSeq = 0;

export function field(label, input, hint, opts = {}) {
  const id = input.id || `f${++fieldSeq}`;
  const isControl = input.matches && input.matches('input,select,textarea');
  const isGroup = !isControl && (input.classList.contains('seg') || input.classList.contains('uploader')
    || input.getAttribute('role') === 'radiogroup' || input.getAttribute('role') === 'group');
  const inner = isControl ? input : isGroup ? null : input.querySelector && input.querySelector('input,select,textarea');
  if (inner && !inner.id) inner.id = id;
  const baseId = (inner && inner.id) || input.id || id;
  const hintEl = hint ? h('div', { class: 'field-hint', id: `${baseId}-hint` }, hint) : null;
  const errEl = h('div', { class: 'field-error', id: `${baseId}-err`, 'aria-live': 'polite' });
  const described = [hintEl && hintEl.id, errEl.id].filter(Boolean).join(' ');
  const labelId = `${baseId}-label`;
  if (inner) inner.setAttribute('aria-describedby', described);
  else { input.setAttribute('aria-labelledby', labelId); input.setAttribute('aria-describedby', described); }
  const req = opts.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null;
  if (inner && opts.required) inner.setAttribute('aria-required', 'true');
  return h('div', { class: ['field', opts.required && 'required', opts.cls] },
    inner
      ? h('label', { class: 'field-label', for: inner.id, id: labelId }, label, req)
      : h('div', { class: 'field-label', id: labelId }, label, req),
    h('div', { class: 'field-control' }, input),
    hintEl, errEl);
}

export function clearFieldErrors(form) {
  if (!form) return;
  form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  form.querySelectorAll('.field.invalid').forEach((e) => e.classList.remove('invalid'));
  const box = form.querySelector('.form-error');
  if (box) { box.textContent = ''; box.classList.add('hidden'); }
}

export function showFieldErrors(form, err) {
  clearFieldErrors(form);
  if (!err || !err.fields || !form) return false;
  const rest = [];
  let first = null;
  for (const [name, msg] of Object.entries(err.fields)) {
    const base = name.replace(/\[.*$/, '').replace(/\..*$/, '');
    const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/"/g, '\\"'));
    const input = form.querySelector(`[name="${esc(name)}"]`) || form.querySelector(`[name="${esc(base)}"]`)
      || form.querySelector(`[data-field="${esc(base)}"]`);
    const fieldEl = input && input.closest('.field');
    const errEl = fieldEl && fieldEl.querySelector('.field-error');
    if (errEl) {
      const text = fieldMessage(msg);
      errEl.textContent = errEl.textContent ? `${errEl.textContent}；${text}` : text;
      fieldEl.classList.add('invalid');
      if (input.matches('input,select,textarea')) input.setAttribute('aria-invalid', 'true');
      if (!first) first = input;
    } else {
      rest.push(`${name}: ${fieldMessage(msg)}`);
    }
  }
  if (rest.length) {
    const box = form.querySelector('.form-error');
    if (box) { box.textContent = rest.join('；'); box.classList.remove('hidden'); } else toast(rest.join('；'), 'error');
  }
  if (first && first.focus) {
    first.focus({ preventScroll: true });
    (first.closest('.field') || first).scrollIntoView({ block: 'center', behavior: 'smooth' });
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// States

export function loading(text) {
  return h('div', { class: 'state state-loading', role: 'status', 'data-testid': 'loading' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, text || t('common.loading')));
}

export function empty(text, action) {
  return h('div', { class: 'state state-empty', 'data-testid': 'empty' },
    h('div', { class: 'state-icon', 'aria-hidden': 'true' }, icon('list')),
    h('p', null, text || t('common.empty')), action || null);
}

export function errorState(err, retry) {
  const notFound = err instanceof ApiError && err.status === 404;
  return h('div', { class: 'state state-error', role: 'alert', 'data-testid': 'error-state' },
    h('div', { class: 'state-icon', 'aria-hidden': 'true' }, icon('alert')),
    h('p', null, notFound ? t('common.notFound') : errorMessage(err)),
    retry && !notFound ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'retry', onclick: retry }, icon('refresh'), t('common.retry')) : null);
}

// ---------------------------------------------------------------------------------------------
// Formatting

const TZ = 'Asia/Shanghai';
const dtf = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

function parts(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const p = {};
  for (const x of dtf.formatToParts(d)) p[x.type] = x.value;
  return p;
}

export function fmtDateTime(iso) { const p = parts(iso); return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : ''; }
export function fmtDate(iso) { const p = parts(iso); return p ? `${p.year}-${p.month}-${p.day}` : ''; }
export function fmtTime(iso) { const p = parts(iso); return p ? `${p.hour}:${p.minute}` : ''; }

function chinaDay(d) { const p = parts(d); return p ? Date.UTC(+p.year, +p.month - 1, +p.day) : 0; }

export function fmtDue(iso) {
  if (!iso) return { text: '', cls: '' };
  const due = new Date(iso);
  const now = new Date();
  const days = Math.round((chinaDay(due) - chinaDay(now)) / 86400000);
  if (due < now) {
    const over = Math.max(0, -days);
    return { text: over ? t('due.over', { n: over }) : t('due.overToday'), cls: 'due-over' };
  }
  if (days === 0) return { text: t('due.today'), cls: 'due-soon' };
  return { text: t('due.left', { n: days }), cls: days <= 2 ? 'due-soon' : 'due-ok' };
}

export function fmtSize(n) {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function statusTag(status) {
  return h('span', { class: ['tag', `tag-${status}`], 'data-status': status }, t(`status.${status}`));
}
export function kindTag(kind) {
  return h('span', { class: ['tag', 'tag-kind', `tag-kind-${kind}`] }, t(`kind.${kind}`));
}
export function ratingTag(rating) {
  return rating ? h('span', { class: ['tag', `tag-rating-${rating}`] }, t(`rating.${rating}`)) : null;
}

// ---------------------------------------------------------------------------------------------
// Lists and controls

export function cell({ label, value, to, onClick, chevron, testid, cls, sub } = {}) {
  const tag = to ? 'a' : onClick ? 'button' : 'div';
  const attrs = { class: ['cell', (to || onClick) && 'cell-link', cls], 'data-testid': testid };
  if (to) attrs.href = to;
  if (onClick) { attrs.type = 'button'; attrs.onclick = onClick; }
  return h(tag, attrs,
    h('span', { class: 'cell-label' }, label, sub ? h('span', { class: 'cell-sub' }, sub) : null),
    h('span', { class: 'cell-value' }, value === undefined || value === null || value === '' ? '' : value),
    (chevron ?? !!(to || onClick)) ? h('span', { class: 'cell-chevron' }, icon('chevron')) : null);
}

export function cells(title, ...children) {
  if (title instanceof Node) { children.unshift(title); title = null; }
  return h('section', { class: 'cells' }, title ? h('h2', { class: 'cells-title' }, title) : null, children);
}

export function segmented({ name, options, value, onChange, label }) {
  const gid = `seg-${name}-${++fieldSeq}`;
  return h('div', { class: 'seg', role: 'radiogroup', 'aria-label': label || null, 'data-field': name },
    options.map((o) => {
      const id = `${gid}-${o.value}`;
      return [
        h('input', { type: 'radio', class: 'sr-only', name, id, value: o.value, checked: o.value === value,
          'data-testid': o.testid, onchange: (e) => { if (e.target.checked && onChange) onChange(o.value); } }),
        h('label', { for: id, class: 'seg-item' }, o.label),
      ];
    }));
}

export function tabs(items, active, onChange) {
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  for (const it of items) {
    bar.appendChild(h('button', {
      type: 'button', role: 'tab', class: ['tab', it.value === active && 'active'],
      'aria-selected': it.value === active ? 'true' : 'false', 'data-testid': it.testid,
      onclick: () => {
        bar.querySelectorAll('.tab').forEach((b) => { b.classList.remove('active'); b.setAttribute('aria-selected', 'false'); });
        const me = bar.querySelector(`[data-value="${it.value}"]`);
        if (me) { me.classList.add('active'); me.setAttribute('aria-selected', 'true'); }
        if (onChange) onChange(it.value);
      },
      'data-value': it.value,
    }, it.label, it.badge ? h('span', { class: 'badge' }, String(it.badge)) : null));
  }
  return bar;
}

// ---------------------------------------------------------------------------------------------
// Timeline and attachments

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

function eventTitle(e) {
  if (e.action === 'assign' && e.data && e.data.reassigned) return t('action.reassign');
  if (e.action === 'revisit' && e.to_status === 'in_progress') return t('action.reopen');
  return t(`action.${e.action}`);
}

function eventDetails(e, opts) {
  const d = e.data || {};
  const out = [];
  if (e.action === 'assign') {
    if (d.department_id && opts.deptName) { const n = opts.deptName(d.department_id); if (n) out.push(t('tl.dept', { name: n })); }
    if (d.due_at) out.push(t('tl.due', { time: fmtDateTime(d.due_at) }));
  } else if (e.action === 'revisit' && d.rating) {
    out.push(t('tl.rating', { rating: t(`rating.${d.rating}`) }));
    if (d.due_at) out.push(t('tl.due', { time: fmtDateTime(d.due_at) }));
  } else if (e.action === 'resolve' && d.adopted !== undefined && d.adopted !== null) {
    out.push(d.adopted ? t('tl.adopted') : t('tl.notAdopted'));
  } else if (e.action === 'close' && d.reason === 'no_response') {
    out.push(t('tl.noResponse'));
  } else if ((e.action === 'extension_request' || e.action === 'extension_approve' || e.action === 'extension_deny') && d.days) {
    out.push(t('tl.extDays', { days: d.days }));
    if (e.action === 'extension_approve' && d.due_at) out.push(t('tl.due', { time: fmtDateTime(d.due_at) }));
  } else if (e.action === 'escalate' && d.level) {
    out.push(t('tl.level', { level: d.level }));
  } else if (e.action === 'remind' && d.due_at) {
    out.push(t('tl.due', { time: fmtDateTime(d.due_at) }));
  }
  return out;
}

export function timeline(events, opts = {}) {
  const items = (events || []).map((e) => ({ kind: 'event', at: e.created_at, seq: e.seq || 0, e }));
  const atts = opts.attachments || [];
  for (const c of opts.comments || []) items.push({ kind: 'comment', at: c.created_at, seq: 0, c });
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq));
  if (!opts.oldestFirst) items.reverse();
  if (!items.length) return h('div', { class: 'timeline timeline-empty muted' }, t('tl.empty'));
  return h('ol', { class: 'timeline', 'data-testid': 'timeline' },
    items.map((it, i) => {
      if (it.kind === 'comment') {
        const c = it.c;
        const who = opts.commentAuthor ? opts.commentAuthor(c) : (opts.userName && opts.userName(c.author_id)) || t('action.comment');
        return h('li', { class: ['tl-item', 'tl-comment', c.internal && 'tl-internal', i === 0 && 'tl-latest'], 'data-testid': 'timeline-comment' },
          h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
          h('div', { class: 'tl-main' },
            h('div', { class: 'tl-head' }, h('span', { class: 'tl-title' }, who), h('time', { class: 'tl-time', datetime: c.created_at }, fmtDateTime(c.created_at))),
            h('div', { class: 'tl-note' }, c.body),
            attachmentsView(atts.filter((a) => a.comment_id === c.id))));
      }
      const e = it.e;
      const actor = e.actor_id ? ((opts.userName && opts.userName(e.actor_id)) || (e.actor_role ? t(`role.${e.actor_role}`) : '')) : t('role.system');
      return h('li', { class: ['tl-item', `tl-${e.action}`, e.public === false && 'tl-internal', i === 0 && 'tl-latest'], 'data-testid': 'timeline-event', 'data-action': e.action },
        h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
        h('div', { class: 'tl-main' },
          h('div', { class: 'tl-head' },
            h('span', { class: 'tl-title' }, eventTitle(e)),
            h('time', { class: 'tl-time', datetime: e.created_at }, fmtDateTime(e.created_at))),
          actor ? h('div', { class: 'tl-actor muted' }, actor) : null,
          eventDetails(e, opts).map((s) => h('div', { class: 'tl-detail' }, s)),
          e.note ? h('div', { class: 'tl-note' }, e.note) : null));
    }));
}

// ---------------------------------------------------------------------------------------------
// Uploader

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
