// enterprise.js — the enterprise's pages (and the login / registration pages shared by every role).
//
// ROUTES: #/login  #/register  #/e  #/e/new  #/e/tickets  #/e/tickets/:id  #/e/tickets/:id/rate
//         #/e/tickets/:id/supplement  #/e/me
//
// DATA-TESTIDS (stable, for the E2E tests):
//   login:      login-tab-sms, login-tab-password, login-phone, sms-send, login-code, login-username, login-password,
//               login-submit, login-error, link-register, lang-zh, lang-en
//   register:   reg-credit-code, reg-enterprise-name, reg-contact-name, reg-phone, sms-send, reg-code, reg-password,
//               reg-password2, reg-submit, reg-error, link-login
//   tab bar:    tab-home, tab-tickets, tab-me
//   home:       file-new, home-greeting, count-pending, count-processing, count-rate, count-done, home-tickets, home-all,
//               ticket-item (data-id, data-status), ticket-rate-quick
//   file form:  kind-problem, kind-suggestion, kind-inquiry, ticket-category, ticket-title, ticket-description,
//               ticket-contact-name, ticket-contact-phone, uploader, uploader-input, uploader-camera, uploader-pick,
//               uploader-shoot, uploader-item (data-state uploading|done|error), uploader-remove, uploader-error,
//               draft-restored, draft-discard, file-submit, file-error
//   list:       tickets-tab-all, tickets-tab-open, tickets-tab-rate, tickets-tab-done, tickets-search, tickets-list,
//               ticket-item, load-more
//   detail:     ticket-created, ticket-status, ticket-number, detail-title, ticket-kind, ticket-category-name, ticket-due,
//               ticket-department, ticket-description-text, ticket-resolution, ticket-rating, ticket-reject-reason,
//               attachments, attachment-image, attachment-file, timeline, timeline-event (data-action), timeline-comment,
//               supplement-open, withdraw, rate-open, steps
//   supplement: supplement-body, supplement-uploader (+ -input, -pick, -item, -error…), supplement-submit
//   rate:       rate-satisfied, rate-basically-satisfied, rate-unsatisfied, rate-comment, rate-submit, rate-error, rate-done
//   me:         me-name, me-phone, me-username, me-enterprise, me-credit-code, notify-sms, notify-email, lang-zh, lang-en, signout
//   shared (core.js): nav-back, toast, dialog, dialog-ok, dialog-cancel, dialog-input, loading, empty, error-state, retry

import {
  h, svg, icon, t, addStrings, lang, setLang, api, ApiError, errorMessage, session, afterSignIn,
  route, navigate, refresh, onLeave, setTabs, page, toast, confirmDialog, promptDialog, field,
  showFieldErrors, clearFieldErrors, loading, empty, errorState, fmtDateTime, fmtDate, fmtDue,
  statusTag, kindTag, ratingTag, timeline, attachmentsView, uploader, cell, cells, segmented, tabs,
  store, uuid, qs,
} from './core.js';

addStrings({
  'e.tab.home': '首页',
  'e.tab.tickets': '我的诉求',
  'e.tab.me': '我的',
  'login.title': '登录',
  'login.welcome': '欢迎使用企业哨',
  'login.tabSms': '短信登录',
  'login.tabPassword': '密码登录',
  'login.phone': '手机号',
  'login.phonePh': '请输入手机号',
  'login.code': '验证码',
  'login.codePh': '请输入 6 位验证码',
  'login.sendCode': '获取验证码',
  'login.resend': '{n} 秒后重发',
  'login.codeSent': '验证码已发送，请注意查收短信',
  'login.username': '账号',
  'login.usernamePh': '用户名或手机号',
  'login.password': '密码',
  'login.passwordPh': '请输入密码',
  'login.submit': '登录',
  'login.submitting': '登录中…',
  'login.noAccount': '还没有账号？',
  'login.register': '企业注册',
  'login.staffHint': '政府工作人员请使用“密码登录”',
  'login.badPhone': '请输入正确的 11 位手机号',
  'login.badCode': '请输入 6 位数字验证码',
  'login.needUsername': '请输入账号',
  'login.needPassword': '请输入密码',
  'login.success': '登录成功',
  'reg.title': '企业注册',
  'reg.intro': '注册后即可在线反映企业诉求，跟踪办理进度。',
  'reg.creditCode': '统一社会信用代码',
  'reg.creditCodePh': '18 位，见营业执照',
  'reg.creditBad': '统一社会信用代码格式不正确（18 位，请核对营业执照）',
  'reg.enterpriseName': '企业名称',
  'reg.enterpriseNamePh': '与营业执照一致',
  'reg.contactName': '联系人',
  'reg.contactNamePh': '联系人姓名',
  'reg.phone': '手机号',
  'reg.code': '短信验证码',
  'reg.password': '设置密码',
  'reg.passwordPh': '至少 8 位，含大写、小写、数字、符号中的三种',
  'reg.password2': '确认密码',
  'reg.password2Ph': '再次输入密码',
  'reg.passwordShort': '密码至少 8 位，且含大写字母、小写字母、数字、符号中的至少三种',
  'reg.passwordMismatch': '两次输入的密码不一致',
  'reg.submit': '注册并登录',
  'reg.submitting': '注册中…',
  'reg.have': '已有账号？',
  'reg.login': '去登录',
  'reg.conflict': '该手机号已注册，或该统一社会信用代码已由其他联系人注册。请直接登录，或联系园区工作人员。',
  'reg.success': '注册成功',
  'home.title': '企业哨',
  'home.hello': '您好，{name}',
  'home.file': '我要反映',
  'home.fileSub': '问题 · 建议 · 咨询，一键直达责任部门',
  'home.mine': '我的诉求',
  'home.all': '全部',
  'home.pending': '待受理',
  'home.processing': '办理中',
  'home.rate': '待评价',
  'home.done': '已办结',
  'home.none': '您还没有反映过诉求',
  'home.promise': '企业吹哨，部门报到：诉求受理后交办责任部门，限时办结并回访。',
  'list.title': '我的诉求',
  'list.all': '全部',
  'list.open': '办理中',
  'list.rate': '待评价',
  'list.done': '已完结',
  'list.search': '搜索标题、内容或编号',
  'list.none': '暂无诉求',
  'list.filed': '提交于 {time}',
  'list.toRate': '去评价',
  'new.title': '我要反映',
  'new.kind': '诉求类型',
  'new.category': '诉求类别',
  'new.categoryPh': '请选择类别',
  'new.titleLabel': '标题',
  'new.titlePh': '一句话概括您的诉求',
  'new.desc': '详细描述',
  'new.descPh': '请说明具体情况、希望解决的问题和期望时间，便于部门尽快办理',
  'new.attachments': '图片/文件',
  'new.contact': '联系信息',
  'new.contactName': '联系人',
  'new.contactPhone': '联系电话',
  'new.contactPhonePh': '手机或座机，如 0731-88889999',
  'new.contactHint': '工作人员将通过此电话与您联系',
  'new.submit': '提交诉求',
  'new.submitting': '提交中…',
  'new.success': '提交成功',
  'new.draftRestored': '已恢复 {time} 未提交的内容',
  'new.draftDiscard': '清空重填',
  'new.draftDiscardConfirm': '确定清空已填写的内容吗？',
  'new.needKind': '请选择诉求类型',
  'new.needCategory': '请选择诉求类别',
  'new.needTitle': '请填写标题',
  'new.needDesc': '请填写详细描述',
  'new.failedUploads': '有 {n} 个附件上传失败，将不随诉求提交。继续提交吗？',
  'new.hintProblem': '企业生产经营中遇到的困难，如用工、用地、水电气、审批、融资、物流等',
  'new.hintSuggestion': '对政策、服务、园区建设等方面的意见建议',
  'new.hintInquiry': '政策解读、办事流程等方面的咨询',
  'new.noCategories': '暂无可选类别',
  'detail.title': '诉求详情',
  'detail.created': '诉求已提交，我们将尽快受理。请留意短信通知。',
  'detail.number': '诉求编号',
  'detail.kind': '类型',
  'detail.category': '类别',
  'detail.filedAt': '提交时间',
  'detail.due': '办理期限',
  'detail.department': '承办单位',
  'detail.contact': '联系人',
  'detail.content': '诉求内容',
  'detail.progress': '办理进度',
  'detail.result': '办理结果',
  'detail.rating': '我的评价',
  'detail.lastResult': '上次办理结果',
  'detail.lastRating': '上次评价',
  'detail.rejectReason': '不予受理原因',
  'detail.withdrawReason': '撤回原因',
  'detail.supplement': '补充说明',
  'detail.withdraw': '撤回',
  'detail.rate': '评价',
  'detail.rateNow': '立即评价',
  'detail.rateCta': '诉求已办结，请对办理结果进行评价',
  'detail.withdrawPrompt': '确定撤回该诉求吗？可填写撤回原因（选填）',
  'detail.withdrawPh': '如：问题已自行解决',
  'detail.withdrawn': '诉求已撤回',
  'detail.me': '我',
  'detail.myComment': '我的补充说明',
  'detail.otherComment': '补充说明',
  'detail.staffComment': '工作人员回复',
  'detail.adopted': '建议已采纳',
  'detail.notAdopted': '建议暂未采纳',
  'detail.reopened': '已重办 {n} 次',
  'detail.noResponse': '超过回访期限未评价，已自动销号',
  'steps.file': '提交',
  'steps.accept': '受理',
  'steps.assign': '交办',
  'steps.handle': '办理',
  'steps.resolve': '办结',
  'steps.revisit': '评价',
  'sup.title': '补充说明',
  'sup.body': '补充内容',
  'sup.bodyPh': '补充情况说明、最新进展或回复工作人员',
  'sup.submit': '提交补充',
  'sup.success': '补充说明已提交',
  'sup.need': '请填写补充内容',
  'rate.title': '评价办理结果',
  'rate.question': '您对本次诉求的办理结果是否满意？',
  'rate.comment': '评价意见',
  'rate.commentPh': '说说您的感受或建议（选填）',
  'rate.commentPhUnsat': '请说明不满意的原因，便于部门重新办理',
  'rate.unsatHint': '选择“不满意”后，诉求将退回承办单位重新办理。',
  'rate.submit': '提交评价',
  'rate.submitting': '提交中…',
  'rate.need': '请选择满意程度',
  'rate.thanks': '感谢您的评价',
  'rate.reopened': '已退回重新办理，请留意后续进展',
  'rate.notResolved': '该诉求当前为“{status}”，办结后才能评价。',
  'rate.already': '您已评价：{rating}',
  'rate.final': '该诉求当前为“{status}”，无需评价。',
  'rate.view': '查看诉求详情',
  'me.title': '我的',
  'me.profile': '个人信息',
  'me.name': '姓名',
  'me.phone': '手机号',
  'me.username': '账号',
  'me.enterprise': '企业名称',
  'me.creditCode': '统一社会信用代码',
  'me.notify': '消息通知',
  'me.notifySms': '短信通知',
  'me.notifyEmail': '邮件通知',
  'me.saved': '已保存',
  'me.language': '语言 / Language',
  'me.signout': '退出登录',
  'me.role': '身份',
}, {
  'e.tab.home': 'Home',
  'e.tab.tickets': 'My requests',
  'e.tab.me': 'Me',
  'login.title': 'Sign in',
  'login.welcome': 'Welcome to Qiyeshao',
  'login.tabSms': 'SMS code',
  'login.tabPassword': 'Password',
  'login.phone': 'Mobile',
  'login.phonePh': 'Mobile number',
  'login.code': 'Code',
  'login.codePh': '6-digit code',
  'login.sendCode': 'Get code',
  'login.resend': 'Resend in {n}s',
  'login.codeSent': 'Code sent, check your SMS',
  'login.username': 'Account',
  'login.usernamePh': 'Username or mobile',
  'login.password': 'Password',
  'login.passwordPh': 'Password',
  'login.submit': 'Sign in',
  'login.submitting': 'Signing in…',
  'login.noAccount': 'No account yet?',
  'login.register': 'Register an enterprise',
  'login.staffHint': 'Government staff: use "Password"',
  'login.badPhone': 'Enter a valid 11-digit mobile number',
  'login.badCode': 'Enter the 6-digit code',
  'login.needUsername': 'Enter your account',
  'login.needPassword': 'Enter your password',
  'login.success': 'Signed in',
  'reg.title': 'Register',
  'reg.intro': 'Register to file requests online and follow their handling.',
  'reg.creditCode': 'Unified social credit code',
  'reg.creditCodePh': '18 characters, on the business licence',
  'reg.creditBad': 'Invalid unified social credit code (18 characters, check the licence)',
  'reg.enterpriseName': 'Enterprise name',
  'reg.enterpriseNamePh': 'As on the business licence',
  'reg.contactName': 'Contact person',
  'reg.contactNamePh': 'Full name',
  'reg.phone': 'Mobile',
  'reg.code': 'SMS code',
  'reg.password': 'Password',
  'reg.passwordPh': '8+ characters, 3 of: upper, lower, digit, symbol',
  'reg.password2': 'Confirm password',
  'reg.password2Ph': 'Repeat the password',
  'reg.passwordShort': 'At least 8 characters, mixing three of: upper-case, lower-case, digits, symbols',
  'reg.passwordMismatch': 'The passwords differ',
  'reg.submit': 'Register and sign in',
  'reg.submitting': 'Registering…',
  'reg.have': 'Have an account?',
  'reg.login': 'Sign in',
  'reg.conflict': 'This mobile number is registered already, or the credit code belongs to an enterprise with another contact. Sign in, or contact the park staff.',
  'reg.success': 'Registered',
  'home.title': 'Qiyeshao',
  'home.hello': 'Hello, {name}',
  'home.file': 'File a request',
  'home.fileSub': 'Problems · suggestions · inquiries, straight to the department',
  'home.mine': 'My requests',
  'home.all': 'All',
  'home.pending': 'Submitted',
  'home.processing': 'In progress',
  'home.rate': 'To rate',
  'home.done': 'Closed',
  'home.none': 'You have not filed any request yet',
  'home.promise': 'Accepted requests go to the responsible department, are handled on time, and you are asked for your rating.',
  'list.title': 'My requests',
  'list.all': 'All',
  'list.open': 'Open',
  'list.rate': 'To rate',
  'list.done': 'Finished',
  'list.search': 'Search title, text or number',
  'list.none': 'No requests',
  'list.filed': 'Filed {time}',
  'list.toRate': 'Rate',
  'new.title': 'File a request',
  'new.kind': 'Kind',
  'new.category': 'Category',
  'new.categoryPh': 'Choose a category',
  'new.titleLabel': 'Title',
  'new.titlePh': 'Your request in one sentence',
  'new.desc': 'Description',
  'new.descPh': 'What happened, what should be solved, by when',
  'new.attachments': 'Photos/files',
  'new.contact': 'Contact',
  'new.contactName': 'Contact person',
  'new.contactPhone': 'Contact phone',
  'new.contactPhonePh': 'Mobile or landline, e.g. 0731-88889999',
  'new.contactHint': 'Staff will call you on this number',
  'new.submit': 'Submit',
  'new.submitting': 'Submitting…',
  'new.success': 'Submitted',
  'new.draftRestored': 'Restored what you entered at {time}',
  'new.draftDiscard': 'Start over',
  'new.draftDiscardConfirm': 'Discard what you entered?',
  'new.needKind': 'Choose a kind',
  'new.needCategory': 'Choose a category',
  'new.needTitle': 'Enter a title',
  'new.needDesc': 'Enter a description',
  'new.failedUploads': '{n} attachments failed to upload and will be left out. Submit anyway?',
  'new.hintProblem': 'A difficulty in running the business: staff, land, utilities, permits, financing, logistics…',
  'new.hintSuggestion': 'An idea about policies, services or the park',
  'new.hintInquiry': 'A question about policies or procedures',
  'new.noCategories': 'No categories',
  'detail.title': 'Request',
  'detail.created': 'Your request was submitted. You will be told by SMS as it moves on.',
  'detail.number': 'Number',
  'detail.kind': 'Kind',
  'detail.category': 'Category',
  'detail.filedAt': 'Filed',
  'detail.due': 'Due',
  'detail.department': 'Department',
  'detail.contact': 'Contact',
  'detail.content': 'Request',
  'detail.progress': 'Progress',
  'detail.result': 'Outcome',
  'detail.rating': 'My rating',
  'detail.lastResult': 'Previous outcome',
  'detail.lastRating': 'Previous rating',
  'detail.rejectReason': 'Reason for rejection',
  'detail.withdrawReason': 'Reason for withdrawal',
  'detail.supplement': 'Add information',
  'detail.withdraw': 'Withdraw',
  'detail.rate': 'Rate',
  'detail.rateNow': 'Rate now',
  'detail.rateCta': 'Your request was resolved: please rate the outcome',
  'detail.withdrawPrompt': 'Withdraw this request? You may give a reason (optional)',
  'detail.withdrawPh': 'e.g. solved ourselves',
  'detail.withdrawn': 'Request withdrawn',
  'detail.me': 'Me',
  'detail.myComment': 'My additional information',
  'detail.otherComment': 'Additional information',
  'detail.staffComment': 'Staff reply',
  'detail.adopted': 'Suggestion adopted',
  'detail.notAdopted': 'Suggestion not adopted',
  'detail.reopened': 'Reopened {n} times',
  'detail.noResponse': 'Not rated in time, closed automatically',
  'steps.file': 'Filed',
  'steps.accept': 'Accepted',
  'steps.assign': 'Assigned',
  'steps.handle': 'Handling',
  'steps.resolve': 'Resolved',
  'steps.revisit': 'Rated',
  'sup.title': 'Add information',
  'sup.body': 'Information',
  'sup.bodyPh': 'More details, news, or a reply to the staff',
  'sup.submit': 'Send',
  'sup.success': 'Sent',
  'sup.need': 'Enter some text',
  'rate.title': 'Rate the outcome',
  'rate.question': 'Are you satisfied with how your request was handled?',
  'rate.comment': 'Comment',
  'rate.commentPh': 'Anything to add (optional)',
  'rate.commentPhUnsat': 'Please say why, so that it can be handled again',
  'rate.unsatHint': '"Unsatisfied" sends the request back to the department for rework.',
  'rate.submit': 'Submit rating',
  'rate.submitting': 'Submitting…',
  'rate.need': 'Choose a rating',
  'rate.thanks': 'Thank you for your rating',
  'rate.reopened': 'Sent back for rework; watch for updates',
  'rate.notResolved': 'This request is "{status}"; it can be rated once resolved.',
  'rate.already': 'You rated it: {rating}',
  'rate.final': 'This request is "{status}"; there is nothing to rate.',
  'rate.view': 'View the request',
  'me.title': 'Me',
  'me.profile': 'Profile',
  'me.name': 'Name',
  'me.phone': 'Mobile',
  'me.username': 'Account',
  'me.enterprise': 'Enterprise',
  'me.creditCode': 'Credit code',
  'me.notify': 'Notifications',
  'me.notifySms': 'SMS',
  'me.notifyEmail': 'E-mail',
  'me.saved': 'Saved',
  'me.language': 'Language / 语言',
  'me.signout': 'Sign out',
  'me.role': 'Role',
});

// ---------------------------------------------------------------------------------------------
// Helpers

const OPEN = ['submitted', 'accepted', 'assigned', 'in_progress'];
const LIST_TABS = {
  all: null,
  open: 'submitted,accepted,assigned,in_progress',
  rate: 'resolved',
  done: 'closed,rejected,withdrawn',
};

function normPhone(v) {
  let s = String(v || '').replace(/[\s\-()\u3000]/g, '');
  if (s.startsWith('+86')) s = s.slice(3);
  else if (s.startsWith('0086')) s = s.slice(4);
  return s;
}
const phoneOk = (v) => /^1\d{10}$/.test(normPhone(v));

const CC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/** GB 32100-2015 unified social credit code (format and check character). */
function creditCodeOk(raw) {
  const c = String(raw || '').trim().toUpperCase();
  if (!/^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$/.test(c)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CC_CHARS.indexOf(c[i]) * CC_W[i];
  return CC_CHARS[(31 - (sum % 31)) % 31] === c[17];
}

/** A local validation error in the API's shape, so that showFieldErrors can show it. */
function localErrors(fields) {
  const f = Object.fromEntries(Object.entries(fields).filter(([, v]) => v));
  return Object.keys(f).length ? new ApiError(422, 'validation_failed', '', f) : null;
}

let deptsPromise = null;
function departments() {
  if (!deptsPromise) {
    deptsPromise = api('GET', '/departments').then((r) => new Map((r.items || []).map((d) => [d.id, d.name])))
      .catch(() => { deptsPromise = null; return new Map(); });
  }
  return deptsPromise;
}

let catsPromise = null;
function categories() {
  if (!catsPromise) {
    catsPromise = api('GET', '/categories').then((r) => r.items || [])
      .catch((e) => { catsPromise = null; throw e; });
  }
  return catsPromise;
}

function input(attrs) {
  return h('input', { class: 'input', type: 'text', ...attrs });
}

function counter(el, max) {
  const c = h('span', { class: 'counter muted', 'aria-hidden': 'true' });
  const upd = () => { const n = [...el.value].length; c.textContent = `${n}/${max}`; c.classList.toggle('over', n > max); };
  el.addEventListener('input', upd);
  upd();
  return c;
}

function submitBusy(btn, busy, busyText) {
  if (busy) { btn.dataset.label = btn.textContent; btn.textContent = busyText; btn.disabled = true; btn.setAttribute('aria-busy', 'true'); }
  else { btn.textContent = btn.dataset.label || btn.textContent; btn.disabled = false; btn.removeAttribute('aria-busy'); }
}

function langSwitch() {
  return h('div', { class: 'lang-switch', role: 'group', 'aria-label': 'Language' },
    h('button', { type: 'button', class: ['lang-btn', lang() === 'zh' && 'active'], 'aria-pressed': String(lang() === 'zh'), 'data-testid': 'lang-zh', onclick: () => setLang('zh') }, '中文'),
    h('button', { type: 'button', class: ['lang-btn', lang() === 'en' && 'active'], 'aria-pressed': String(lang() === 'en'), 'data-testid': 'lang-en', onclick: () => setLang('en') }, 'English'));
}

// SMS countdowns survive re-renders (language switch) and tab changes.
const smsUntil = {};

function smsButton(purpose, phoneInput, errTarget) {
  const btn = h('button', { type: 'button', class: 'btn btn-ghost btn-small sms-btn', 'data-testid': 'sms-send' }, t('login.sendCode'));
  let timer = null;
  const tick = () => {
    const left = Math.ceil(((smsUntil[purpose] || 0) - Date.now()) / 1000);
    if (left > 0) { btn.disabled = true; btn.textContent = t('login.resend', { n: left }); }
    else { btn.disabled = false; btn.textContent = t('login.sendCode'); if (timer) { clearInterval(timer); timer = null; } }
  };
  const countdown = (secs) => {
    smsUntil[purpose] = Date.now() + secs * 1000;
    tick();
    if (!timer) timer = setInterval(tick, 1000);
  };
  onLeave(() => { if (timer) clearInterval(timer); });
  if ((smsUntil[purpose] || 0) > Date.now()) countdown(Math.ceil((smsUntil[purpose] - Date.now()) / 1000));
  btn.addEventListener('click', async () => {
    const form = phoneInput.form;
    const fieldEl = phoneInput.closest('.field');
    const errEl = fieldEl && fieldEl.querySelector('.field-error');
    if (!phoneOk(phoneInput.value)) {
      if (errEl) { errEl.textContent = t('login.badPhone'); fieldEl.classList.add('invalid'); }
      phoneInput.setAttribute('aria-invalid', 'true');
      phoneInput.focus();
      return;
    }
    if (errEl) { errEl.textContent = ''; fieldEl.classList.remove('invalid'); }
    phoneInput.removeAttribute('aria-invalid');
    btn.disabled = true;
    try {
      const r = await api('POST', '/auth/sms-code', { phone: normPhone(phoneInput.value), purpose }, { auth: false });
      toast(t('login.codeSent'), 'success');
      countdown((r && r.resend_after) || 60);
      const code = form && form.querySelector('[name="code"]');
      if (code) code.focus();
    } catch (err) {
      btn.disabled = false;
      if (err.status === 429) countdown(err.retryAfter || 60);
      if (!showFieldErrors(form, err)) {
        if (errTarget) { errTarget.textContent = errorMessage(err); errTarget.classList.remove('hidden'); }
        else toast(errorMessage(err), 'error');
      }
    }
  });
  return btn;
}

function formError(testid) {
  return h('div', { class: 'form-error hidden', role: 'alert', 'data-testid': testid });
}
function setFormError(box, msg) { box.textContent = msg; box.classList.toggle('hidden', !msg); }

function brandHero(sub) {
  return h('div', { class: 'hero' },
    h('div', { class: 'hero-top' }, h('span', { class: 'hero-spacer' }), langSwitch()),
    h('div', { class: 'hero-logo', 'aria-hidden': 'true' }, '哨'),
    h('div', { class: 'hero-name' }, t('app.name')),
    h('div', { class: 'hero-sub' }, sub || t('app.slogan')));
}

// ---------------------------------------------------------------------------------------------
// Login

let loginTab = 'sms';
const typed = {}; // values typed on the login/register pages survive tab and language switches (never passwords)
function forgetTyped() { for (const k of Object.keys(typed)) delete typed[k]; }
function keep(el, key) {
  if (typed[key] !== undefined) el.value = typed[key];
  el.addEventListener('input', () => { typed[key] = el.value; });
  return el;
}

function loginPage() {
  const box = formError('login-error');
  let form;
  const done = (resp) => { forgetTyped(); session.signIn(resp); afterSignIn(); };

  if (loginTab === 'sms') {
    const phone = keep(input({ name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', placeholder: t('login.phonePh'), maxlength: '20', 'data-testid': 'login-phone' }), 'phone');
    const code = input({ name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: t('login.codePh'), maxlength: '6', 'data-testid': 'login-code' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'login-submit' }, t('login.submit'));
    form = h('form', { class: 'form', novalidate: true },
      h('div', { class: 'form-cells' },
        field(t('login.phone'), phone),
        field(t('login.code'), h('div', { class: 'input-with-btn' }, code, smsButton('login', phone, box)))),
      box, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      setFormError(box, '');
      const le = localErrors({ phone: !phoneOk(phone.value) && t('login.badPhone'), code: !/^\d{6}$/.test(code.value.trim()) && t('login.badCode') });
      if (le) { showFieldErrors(form, le); return; }
      clearFieldErrors(form);
      submitBusy(submit, true, t('login.submitting'));
      try {
        done(await api('POST', '/auth/sms-login', { phone: normPhone(phone.value), code: code.value.trim() }, { auth: false }));
      } catch (err) {
        submitBusy(submit, false);
        if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
      }
    });
  } else {
    const username = keep(input({ name: 'username', autocomplete: 'username', placeholder: t('login.usernamePh'), maxlength: '64', autocapitalize: 'none', spellcheck: 'false', 'data-testid': 'login-username' }), 'username');
    const password = input({ name: 'password', type: 'password', autocomplete: 'current-password', placeholder: t('login.passwordPh'), maxlength: '128', 'data-testid': 'login-password' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'login-submit' }, t('login.submit'));
    form = h('form', { class: 'form', novalidate: true },
      h('div', { class: 'form-cells' },
        field(t('login.username'), username),
        field(t('login.password'), password)),
      box, submit,
      h('p', { class: 'form-note muted' }, t('login.staffHint')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      setFormError(box, '');
      const le = localErrors({ username: !username.value.trim() && t('login.needUsername'), password: !password.value && t('login.needPassword') });
      if (le) { showFieldErrors(form, le); return; }
      clearFieldErrors(form);
      submitBusy(submit, true, t('login.submitting'));
      try {
        done(await api('POST', '/auth/login', { username: username.value.trim(), password: password.value }, { auth: false }));
      } catch (err) {
        submitBusy(submit, false);
        if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
        if (err.code === 'invalid_credentials') { password.select(); password.focus(); }
      }
    });
  }

  const body = h('div', { class: 'auth' },
    brandHero(),
    h('div', { class: 'auth-card' },
      tabs([
        { value: 'sms', label: t('login.tabSms'), testid: 'login-tab-sms' },
        { value: 'password', label: t('login.tabPassword'), testid: 'login-tab-password' },
      ], loginTab, (v) => { loginTab = v; refresh(); }),
      form,
      h('p', { class: 'auth-switch' }, t('login.noAccount'), ' ',
        h('a', { href: '#/register', 'data-testid': 'link-register' }, t('login.register')))));
  return h('div', { class: 'page page-auth' }, h('h1', { class: 'topbar-title sr-only' }, t('login.title')), h('main', { class: 'page-body', tabindex: '-1' }, body));
}

// ---------------------------------------------------------------------------------------------
// Register

function registerPage() {
  const box = formError('reg-error');
  const credit = keep(input({ name: 'credit_code', placeholder: t('reg.creditCodePh'), maxlength: '18', autocapitalize: 'characters', spellcheck: 'false', 'data-testid': 'reg-credit-code' }), 'credit');
  const ename = keep(input({ name: 'enterprise_name', placeholder: t('reg.enterpriseNamePh'), maxlength: '100', autocomplete: 'organization', 'data-testid': 'reg-enterprise-name' }), 'ename');
  const cname = keep(input({ name: 'contact_name', placeholder: t('reg.contactNamePh'), maxlength: '100', autocomplete: 'name', 'data-testid': 'reg-contact-name' }), 'cname');
  const phone = keep(input({ name: 'phone', type: 'tel', inputmode: 'numeric', autocomplete: 'tel', placeholder: t('login.phonePh'), maxlength: '20', 'data-testid': 'reg-phone' }), 'phone');
  const code = input({ name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: t('login.codePh'), maxlength: '6', 'data-testid': 'reg-code' });
  const pw = input({ name: 'password', type: 'password', autocomplete: 'new-password', placeholder: t('reg.passwordPh'), maxlength: '128', 'data-testid': 'reg-password' });
  const pw2 = input({ name: 'password2', type: 'password', autocomplete: 'new-password', placeholder: t('reg.password2Ph'), maxlength: '128', 'data-testid': 'reg-password2' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'reg-submit' }, t('reg.submit'));

  credit.addEventListener('input', () => {
    const up = credit.value.toUpperCase().replace(/\s/g, '');
    if (up !== credit.value) credit.value = up;
  });
  credit.addEventListener('blur', () => {
    const f = credit.closest('.field');
    const bad = credit.value.trim() && !creditCodeOk(credit.value);
    f.querySelector('.field-error').textContent = bad ? t('reg.creditBad') : '';
    f.classList.toggle('invalid', !!bad);
    if (bad) credit.setAttribute('aria-invalid', 'true'); else credit.removeAttribute('aria-invalid');
  });

  const form = h('form', { class: 'form', novalidate: true },
    h('p', { class: 'form-intro muted' }, t('reg.intro')),
    h('div', { class: 'form-cells' },
      field(t('reg.creditCode'), credit, null, { required: true }),
      field(t('reg.enterpriseName'), ename, null, { required: true }),
      field(t('reg.contactName'), cname, null, { required: true })),
    h('div', { class: 'form-cells' },
      field(t('reg.phone'), phone, null, { required: true }),
      field(t('reg.code'), h('div', { class: 'input-with-btn' }, code, smsButton('register', phone, box)), null, { required: true })),
    h('div', { class: 'form-cells' },
      field(t('reg.password'), pw, null, { required: true }),
      field(t('reg.password2'), pw2, null, { required: true })),
    box, submit,
    h('p', { class: 'auth-switch' }, t('reg.have'), ' ', h('a', { href: '#/login', 'data-testid': 'link-login' }, t('reg.login'))));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setFormError(box, '');
    const le = localErrors({
      credit_code: !creditCodeOk(credit.value) && t('reg.creditBad'),
      enterprise_name: !ename.value.trim() && t('fe.required'),
      contact_name: !cname.value.trim() && t('fe.required'),
      phone: !phoneOk(phone.value) && t('login.badPhone'),
      code: !/^\d{6}$/.test(code.value.trim()) && t('login.badCode'),
      password: !strongEnough(pw.value) && t('reg.passwordShort'),
      password2: pw.value !== pw2.value && t('reg.passwordMismatch'),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    submitBusy(submit, true, t('reg.submitting'));
    try {
      const resp = await api('POST', '/auth/register', {
        credit_code: credit.value.trim().toUpperCase(),
        enterprise_name: ename.value.trim(),
        contact_name: cname.value.trim(),
        phone: normPhone(phone.value),
        code: code.value.trim(),
        password: pw.value,
      }, { auth: false });
      forgetTyped();
      session.signIn(resp);
      toast(t('reg.success'), 'success');
      afterSignIn();
    } catch (err) {
      submitBusy(submit, false);
      if (err.status === 409) setFormError(box, lang() === 'en' && err.message ? err.message : t('reg.conflict'));
      else if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });

  return page({ title: t('reg.title'), back: '#/login', body: h('div', { class: 'auth auth-register' }, form), actions: langSwitch() });
}

// ---------------------------------------------------------------------------------------------
// Ticket rows

function ticketItem(tk) {
  const due = OPEN.includes(tk.status) && tk.due_at ? fmtDue(tk.due_at) : null;
  return h('a', { class: 'list-item ticket-item', href: `#/e/tickets/${encodeURIComponent(tk.id)}`, 'data-testid': 'ticket-item', 'data-id': tk.id, 'data-status': tk.status },
    h('div', { class: 'ti-head' },
      h('span', { class: 'ti-title' }, tk.title),
      statusTag(tk.status)),
    h('div', { class: 'ti-meta muted' },
      kindTag(tk.kind),
      h('span', { class: 'ti-number' }, tk.number),
      h('span', null, fmtDate(tk.created_at))),
    due || tk.status === 'resolved' ? h('div', { class: 'ti-foot' },
      due ? h('span', { class: ['due', due.cls] }, icon('clock'), t('detail.due'), ' ', fmtDateTime(tk.due_at), ' · ', due.text) : h('span'),
      tk.status === 'resolved' ? h('span', { class: 'btn btn-primary btn-small', 'data-testid': 'ticket-rate-quick',
        onclick: (e) => { e.preventDefault(); e.stopPropagation(); navigate(`#/e/tickets/${encodeURIComponent(tk.id)}/rate`); } }, t('list.toRate')) : null) : null);
}

// ---------------------------------------------------------------------------------------------
// Home

async function homePage() {
  const user = session.user() || {};
  const greeting = h('div', { class: 'home-greeting', 'data-testid': 'home-greeting' }, t('home.hello', { name: user.name || '' }));
  const entName = h('div', { class: 'home-enterprise' });
  if (user.enterprise_id) {
    api('GET', `/enterprises/${encodeURIComponent(user.enterprise_id)}`).then((e) => { entName.textContent = e.name; }, () => {});
  }
  const countsBox = h('div', { class: 'kpis kpis-4' });
  const listBox = h('div', { class: 'list', 'data-testid': 'home-tickets' }, loading());

  const kpi = (key, n, tab, testid) => h('a', { class: 'kpi', href: `#/e/tickets?tab=${tab}`, 'data-testid': testid },
    h('span', { class: 'kpi-value' }, String(n)), h('span', { class: 'kpi-label' }, t(key)));

  api('GET', '/tickets/counts').then((c) => {
    countsBox.replaceChildren(
      kpi('home.pending', (c.submitted || 0) + (c.accepted || 0), 'open', 'count-pending'),
      kpi('home.processing', (c.assigned || 0) + (c.in_progress || 0), 'open', 'count-processing'),
      kpi('home.rate', c.resolved || 0, 'rate', 'count-rate'),
      kpi('home.done', c.closed || 0, 'done', 'count-done'));
  }, () => countsBox.remove());

  const loadList = () => {
    listBox.replaceChildren(loading());
    api('GET', '/tickets', null, { query: { limit: 5 } }).then((r) => {
      const items = r.items || [];
      listBox.replaceChildren(...(items.length ? items.map(ticketItem)
        : [empty(t('home.none'))]));
    }, (err) => listBox.replaceChildren(errorState(err, loadList)));
  };
  loadList();

  const body = h('div', { class: 'home' },
    h('div', { class: 'home-banner' }, greeting, entName, h('p', { class: 'home-promise' }, t('home.promise'))),
    h('a', { class: 'big-action', href: '#/e/new', 'data-testid': 'file-new' },
      h('span', { class: 'big-action-icon', 'aria-hidden': 'true' }, icon('megaphone')),
      h('span', { class: 'big-action-text' }, h('strong', null, t('home.file')), h('small', null, t('home.fileSub'))),
      icon('chevron', 'big-action-chevron')),
    countsBox,
    h('section', { class: 'section' },
      h('div', { class: 'section-head' },
        h('h2', { class: 'section-title' }, t('home.mine')),
        h('a', { class: 'section-more', href: '#/e/tickets', 'data-testid': 'home-all' }, t('home.all'), icon('chevron'))),
      listBox));
  return page({ title: t('home.title'), body, tabbar: true });
}

// ---------------------------------------------------------------------------------------------
// List

function listPage(params, query) {
  const tab = Object.prototype.hasOwnProperty.call(LIST_TABS, query.tab) ? query.tab : 'all';
  const q = query.q || '';
  const listBox = h('div', { class: 'list', 'data-testid': 'tickets-list' });
  const more = h('button', { type: 'button', class: 'btn btn-ghost btn-block hidden', 'data-testid': 'load-more' }, t('common.more'));
  let cursor = null;

  const load = async (append) => {
    if (!append) listBox.replaceChildren(loading());
    more.disabled = true;
    try {
      const r = await api('GET', '/tickets', null, { query: { status: LIST_TABS[tab], q: q.trim() || null, limit: 20, cursor: append ? cursor : null } });
      const items = r.items || [];
      if (!append) listBox.replaceChildren();
      if (!append && !items.length) listBox.appendChild(empty(q ? t('list.none') : t('home.none'), q ? null : h('a', { class: 'btn btn-primary btn-small', href: '#/e/new' }, t('home.file'))));
      for (const it of items) listBox.appendChild(ticketItem(it));
      cursor = r.next_cursor;
      more.classList.toggle('hidden', !cursor);
    } catch (err) {
      if (!append) listBox.replaceChildren(errorState(err, () => load(false)));
      else toast(errorMessage(err), 'error');
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => load(true));

  const search = h('input', { class: 'input search-input', type: 'search', name: 'q', value: q, placeholder: t('list.search'), maxlength: '100', 'aria-label': t('list.search'), 'data-testid': 'tickets-search', enterkeyhint: 'search' });
  const searchForm = h('form', { class: 'searchbar', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    navigate(`#/e/tickets${qs({ tab: tab === 'all' ? null : tab, q: search.value.trim() })}`);
  } }, icon('search'), search);

  const bar = tabs([
    { value: 'all', label: t('list.all'), testid: 'tickets-tab-all' },
    { value: 'open', label: t('list.open'), testid: 'tickets-tab-open' },
    { value: 'rate', label: t('list.rate'), testid: 'tickets-tab-rate' },
    { value: 'done', label: t('list.done'), testid: 'tickets-tab-done' },
  ], tab, (v) => navigate(`#/e/tickets${qs({ tab: v === 'all' ? null : v, q })}`));

  load(false);
  return page({ title: t('list.title'), body: h('div', { class: 'tickets' }, h('div', { class: 'sticky-top' }, searchForm, bar), listBox, more), tabbar: true });
}

// ---------------------------------------------------------------------------------------------
// File a request

function draftKey() { const u = session.user(); return `qys.draft.ticket.${u ? u.id : 'anon'}`; }

async function newPage() {
  const [cats, me] = await Promise.all([
    categories(),
    api('GET', '/me').then((u) => { session.setUser(u); return u; }).catch(() => session.user() || {}),
  ]);
  const key = draftKey();
  const saved = store.get(key, null);
  const d = saved || {};
  let idem = d.idem || uuid();
  let idemBody = d.idemBody || null;

  let kind = d.kind || 'problem';
  const kindHint = h('span');
  const setKindHint = () => { kindHint.textContent = t({ problem: 'new.hintProblem', suggestion: 'new.hintSuggestion', inquiry: 'new.hintInquiry' }[kind]); };
  setKindHint();
  const kindSeg = segmented({
    name: 'kind', label: t('new.kind'), value: kind,
    options: ['problem', 'suggestion', 'inquiry'].map((k) => ({ value: k, label: t(`kind.${k}`), testid: `kind-${k}` })),
    onChange: (v) => { kind = v; setKindHint(); save(); },
  });

  const catSel = h('select', { class: 'select', name: 'category_id', required: true, 'data-testid': 'ticket-category' },
    h('option', { value: '' }, cats.length ? t('new.categoryPh') : t('new.noCategories')),
    cats.map((c) => h('option', { value: c.id }, c.name)));
  if (d.category_id && cats.some((c) => c.id === d.category_id)) catSel.value = d.category_id;

  const title = input({ name: 'title', placeholder: t('new.titlePh'), maxlength: '100', 'data-testid': 'ticket-title' });
  title.value = d.title || '';
  const desc = h('textarea', { class: 'textarea', name: 'description', rows: '6', placeholder: t('new.descPh'), maxlength: '5000', 'data-testid': 'ticket-description' });
  desc.value = d.description || '';
  const cname = input({ name: 'contact_name', placeholder: t('reg.contactNamePh'), maxlength: '100', autocomplete: 'name', 'data-testid': 'ticket-contact-name' });
  cname.value = d.contact_name !== undefined ? d.contact_name : (me.name || '');
  const cphone = input({ name: 'contact_phone', type: 'tel', placeholder: t('new.contactPhonePh'), maxlength: '30', autocomplete: 'tel', 'data-testid': 'ticket-contact-phone' });
  cphone.value = d.contact_phone !== undefined ? d.contact_phone : (me.phone || '');

  const up = uploader({ max: 9, initial: d.attachments || [], onChange: () => save() });
  const box = formError('file-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'file-submit' }, t('new.submit'));

  function current() {
    return { kind, category_id: catSel.value, title: title.value, description: desc.value, contact_name: cname.value, contact_phone: cphone.value, attachments: up.items() };
  }
  function save() {
    const c = current();
    const meaningful = c.title.trim() || c.description.trim() || c.category_id || c.attachments.length;
    if (!meaningful) { store.remove(key); return; }
    store.set(key, { ...c, idem, idemBody, saved_at: new Date().toISOString() });
  }

  let banner = null;
  const hasDraft = saved && (saved.title || saved.description || saved.category_id || (saved.attachments || []).length);
  if (hasDraft) {
    banner = h('div', { class: 'notice notice-info', 'data-testid': 'draft-restored', role: 'status' },
      icon('refresh'), h('span', null, t('new.draftRestored', { time: fmtDateTime(saved.saved_at) })),
      h('button', { type: 'button', class: 'link', 'data-testid': 'draft-discard', onclick: async () => {
        if (!(await confirmDialog(t('new.draftDiscardConfirm'), { danger: true }))) return;
        store.remove(key);
        refresh();
      } }, t('new.draftDiscard')));
  }

  const form = h('form', { class: 'form', novalidate: true },
    banner,
    h('div', { class: 'form-cells' },
      field(t('new.kind'), kindSeg, kindHint, { required: true, cls: 'field-stack' }),
      field(t('new.category'), catSel, null, { required: true })),
    h('div', { class: 'form-cells' },
      field(t('new.titleLabel'), title, null, { required: true, cls: 'field-stack' }),
      field(t('new.desc'), h('div', { class: 'textarea-wrap' }, desc, counter(desc, 5000)), null, { required: true, cls: 'field-stack' })),
    h('div', { class: 'form-cells' },
      field(t('new.attachments'), up.element, null, { cls: 'field-stack' })),
    h('div', { class: 'form-cells' },
      h('h2', { class: 'cells-title' }, t('new.contact')),
      field(t('new.contactName'), cname),
      field(t('new.contactPhone'), cphone, t('new.contactHint'))),
    box,
    h('div', { class: 'form-actions' }, submit));

  title.after(counter(title, 100));
  form.addEventListener('input', save);
  form.addEventListener('change', save);

  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    const c = current();
    const le = localErrors({
      category_id: !c.category_id && t('new.needCategory'),
      title: !c.title.trim() ? t('new.needTitle') : [...c.title].length > 100 && t('fe.atMost', { n: 100 }),
      description: !c.description.trim() ? t('new.needDesc') : [...c.description].length > 5000 && t('fe.atMost', { n: 5000 }),
    });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    if (up.busy()) { toast(t('up.busy'), 'warn'); return; }
    if (up.failed() && !(await confirmDialog(t('new.failedUploads', { n: up.failed() })))) return;

    const body = { kind: c.kind, category_id: c.category_id, title: c.title, description: c.description };
    if (c.contact_name.trim()) body.contact_name = c.contact_name.trim();
    if (c.contact_phone.trim()) body.contact_phone = c.contact_phone.trim();
    const ids = up.ids();
    if (ids.length) body.attachment_ids = ids;
    const bodyJson = JSON.stringify(body);
    // The key stands for this body: a changed body after an unanswered attempt gets a new key.
    if (idemBody && idemBody !== bodyJson) idem = uuid();
    idemBody = bodyJson;
    save();

    sending = true;
    submitBusy(submit, true, t('new.submitting'));
    try {
      let tk;
      try {
        tk = await api('POST', '/tickets', body, { headers: { 'Idempotency-Key': idem } });
      } catch (err) {
        if (err.code !== 'idempotency_key_reused') throw err;
        idem = uuid(); idemBody = bodyJson; save();
        tk = await api('POST', '/tickets', body, { headers: { 'Idempotency-Key': idem } });
      }
      store.remove(key);
      toast(t('new.success'), 'success');
      navigate(`#/e/tickets/${encodeURIComponent(tk.id)}?created=1`, { replace: true });
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (err.status === 422 && err.fields) {
        // Nothing was filed: the next attempt may reuse the key only with the same body.
        showFieldErrors(form, err);
        setFormError(box, errorMessage(err));
      } else {
        setFormError(box, errorMessage(err));
        box.scrollIntoView({ block: 'center', behavior: 'smooth' });
      }
    }
  });

  return page({ title: t('new.title'), back: '#/e', body: form });
}

// ---------------------------------------------------------------------------------------------
// Detail

function steps(tk) {
  const names = ['steps.file', 'steps.accept', 'steps.assign', 'steps.handle', 'steps.resolve', 'steps.revisit'];
  const at = { submitted: 0, accepted: 1, assigned: 2, in_progress: 3, resolved: 4, closed: 5 }[tk.status];
  if (at === undefined) return null;
  return h('ol', { class: 'steps', 'data-testid': 'steps', 'aria-label': t('detail.progress') },
    names.map((n, i) => {
      const done = i < at || tk.status === 'closed';
      const cur = i === at && !done;
      return h('li', { class: ['step', done && 'done', cur && 'current'], 'aria-current': cur ? 'step' : null },
        h('span', { class: 'step-dot', 'aria-hidden': 'true' }, done ? icon('check') : String(i + 1)), h('span', { class: 'step-name' }, t(n)));
    }));
}

function lastNote(tk, action) {
  const ev = (tk.events || []).filter((e) => e.action === action).pop();
  return ev ? ev.note : null;
}

async function detailPage(params, query) {
  const id = params.id;
  const [tk, depts, cats] = await Promise.all([
    api('GET', `/tickets/${encodeURIComponent(id)}`),
    departments(),
    categories().catch(() => []),
  ]);
  const me = session.user() || {};
  const catName = (cats.find((c) => c.id === tk.category_id) || {}).name || '';
  const open = OPEN.includes(tk.status);
  const due = open && tk.due_at ? fmtDue(tk.due_at) : null;
  const allAtts = tk.attachments || [];
  // Names of the people on the timeline come with the detail (`people`); their role from the events they acted in.
  const people = tk.people || {};
  const roleOf = new Map((tk.events || []).filter((e) => e.actor_id && e.actor_role).map((e) => [e.actor_id, e.actor_role]));
  const actorName = (uid) => {
    if (uid && uid === me.id) return t('detail.me');
    const name = people[uid];
    if (!name) return undefined; // core falls back to the role label
    const role = roleOf.get(uid);
    return role ? `${name}（${t(`role.${role}`)}）` : name;
  };
  const commentAuthor = (c) => {
    if (c.author_id === me.id) return t('detail.myComment');
    const label = c.author_id === tk.submitter_id || roleOf.get(c.author_id) === 'enterprise' ? t('detail.otherComment') : t('detail.staffComment');
    const name = people[c.author_id];
    return name ? `${name} · ${label}` : label;
  };

  const head = h('div', { class: 'card ticket-head' },
    h('div', { class: 'th-row' }, h('span', { 'data-testid': 'ticket-status' }, statusTag(tk.status)), h('span', { 'data-testid': 'ticket-kind' }, kindTag(tk.kind)),
      tk.reopen_count ? h('span', { class: 'tag tag-warn' }, t('detail.reopened', { n: tk.reopen_count })) : null),
    h('h2', { class: 'th-title', 'data-testid': 'detail-title' }, tk.title),
    steps(tk));

  const info = cells(
    cell({ label: t('detail.number'), value: h('span', { class: 'mono', 'data-testid': 'ticket-number' }, tk.number) }),
    cell({ label: t('detail.category'), value: h('span', { 'data-testid': 'ticket-category-name' }, catName) }),
    cell({ label: t('detail.filedAt'), value: fmtDateTime(tk.created_at) }),
    tk.department_id ? cell({ label: t('detail.department'), value: h('span', { 'data-testid': 'ticket-department' }, depts.get(tk.department_id) || '') }) : null,
    due ? cell({ label: t('detail.due'), value: h('span', { class: ['due', due.cls], 'data-testid': 'ticket-due' }, fmtDateTime(tk.due_at), h('br'), due.text) }) : null,
    tk.contact_name || tk.contact_phone ? cell({ label: t('detail.contact'), value: [tk.contact_name || '', ' ', tk.contact_phone || ''] }) : null);

  const blocks = [];
  if (query.created) blocks.push(h('div', { class: 'notice notice-success', role: 'status', 'data-testid': 'ticket-created' }, icon('check'), h('span', null, t('detail.created'))));
  blocks.push(head);

  if (tk.status === 'resolved') {
    blocks.push(h('div', { class: 'notice notice-cta' },
      h('span', null, t('detail.rateCta')),
      h('a', { class: 'btn btn-primary btn-small', href: `#/e/tickets/${encodeURIComponent(tk.id)}/rate`, 'data-testid': 'rate-open' }, t('detail.rateNow'))));
  }
  if (tk.status === 'rejected') {
    const reason = lastNote(tk, 'reject');
    if (reason) blocks.push(h('section', { class: 'card card-danger' }, h('h3', { class: 'card-title' }, t('detail.rejectReason')), h('p', { class: 'pre', 'data-testid': 'ticket-reject-reason' }, reason)));
  }
  if (tk.status === 'withdrawn') {
    const reason = lastNote(tk, 'withdraw');
    if (reason) blocks.push(h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('detail.withdrawReason')), h('p', { class: 'pre' }, reason)));
  }
  if (tk.resolution && (tk.status === 'resolved' || tk.status === 'closed' || tk.reopen_count)) {
    blocks.push(h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, OPEN.includes(tk.status) ? t('detail.lastResult') : t('detail.result')),
      h('p', { class: 'pre', 'data-testid': 'ticket-resolution' }, tk.resolution),
      tk.kind === 'suggestion' && tk.adopted !== null && tk.adopted !== undefined
        ? h('p', null, h('span', { class: ['tag', tk.adopted ? 'tag-closed-ok' : 'tag-muted'] }, tk.adopted ? t('detail.adopted') : t('detail.notAdopted'))) : null));
  }
  if (tk.rating || (tk.revisits || []).length) {
    const last = (tk.revisits || []).slice(-1)[0];
    blocks.push(h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, OPEN.includes(tk.status) ? t('detail.lastRating') : t('detail.rating')),
      h('p', { 'data-testid': 'ticket-rating' }, ratingTag(tk.rating || (last && last.rating))),
      last && last.comment ? h('p', { class: 'pre muted' }, last.comment) : null));
  } else if (tk.no_response) {
    blocks.push(h('p', { class: 'notice' }, t('detail.noResponse')));
  }

  blocks.push(info);
  blocks.push(h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('detail.content')),
    h('p', { class: 'pre', 'data-testid': 'ticket-description-text' }, tk.description),
    attachmentsView(allAtts.filter((a) => !a.comment_id))));
  blocks.push(h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('detail.progress')),
    timeline(tk.events, {
      comments: tk.comments || [],
      attachments: allAtts,
      deptName: (d) => depts.get(d),
      userName: actorName,
      commentAuthor,
    })));

  const actionsBar = [];
  if (tk.status !== 'withdrawn' && tk.status !== 'rejected') {
    actionsBar.push(h('a', { class: 'btn btn-ghost', href: `#/e/tickets/${encodeURIComponent(tk.id)}/supplement`, 'data-testid': 'supplement-open' }, t('detail.supplement')));
  }
  if (tk.status === 'submitted' || tk.status === 'accepted') {
    actionsBar.push(h('button', { type: 'button', class: 'btn btn-ghost btn-danger-text', 'data-testid': 'withdraw', onclick: async (e) => {
      const btn = e.currentTarget;
      const reason = await promptDialog(t('detail.withdrawPrompt'), { multiline: true, placeholder: t('detail.withdrawPh'), maxLength: 2000, okText: t('detail.withdraw'), danger: true });
      if (reason === null) return;
      btn.disabled = true;
      try {
        await api('POST', `/tickets/${encodeURIComponent(tk.id)}/withdraw`, reason.trim() ? { reason: reason.trim() } : {});
        toast(t('detail.withdrawn'), 'success');
        refresh();
      } catch (err) { btn.disabled = false; toast(errorMessage(err), 'error'); if (err.status === 409) refresh(); }
    } }, t('detail.withdraw')));
  }
  if (tk.status === 'resolved') {
    actionsBar.push(h('a', { class: 'btn btn-primary', href: `#/e/tickets/${encodeURIComponent(tk.id)}/rate` }, t('detail.rate')));
  }
  const body = h('div', { class: ['detail', actionsBar.length && 'has-actionbar'] }, blocks,
    actionsBar.length ? h('div', { class: 'actionbar' }, actionsBar) : null);
  return page({ title: t('detail.title'), back: '#/e/tickets', body });
}

// ---------------------------------------------------------------------------------------------
// Supplement (comment with attachments)

async function supplementPage(params) {
  const id = params.id;
  const tk = await api('GET', `/tickets/${encodeURIComponent(id)}`);
  const key = `qys.draft.comment.${(session.user() || {}).id}.${id}`;
  const d = store.get(key, {}) || {};
  const text = h('textarea', { class: 'textarea', name: 'body', rows: '6', maxlength: '2000', placeholder: t('sup.bodyPh'), 'data-testid': 'supplement-body' });
  text.value = d.body || '';
  const up = uploader({ max: 9, initial: d.attachments || [], testid: 'supplement-uploader', onChange: () => save() });
  const box = formError('supplement-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'supplement-submit' }, t('sup.submit'));
  const save = () => {
    if (!text.value.trim() && !up.items().length) store.remove(key);
    else store.set(key, { body: text.value, attachments: up.items() });
  };
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'card card-compact' }, h('div', { class: 'muted mono' }, tk.number), h('div', { class: 'strong' }, tk.title)),
    h('div', { class: 'form-cells' },
      field(t('sup.body'), h('div', { class: 'textarea-wrap' }, text, counter(text, 2000)), null, { required: true, cls: 'field-stack' }),
      field(t('new.attachments'), up.element, null, { cls: 'field-stack' })),
    box, h('div', { class: 'form-actions' }, submit));
  form.addEventListener('input', save);
  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    const le = localErrors({ body: !text.value.trim() ? t('sup.need') : [...text.value].length > 2000 && t('fe.atMost', { n: 2000 }) });
    if (le) { showFieldErrors(form, le); return; }
    clearFieldErrors(form);
    if (up.busy()) { toast(t('up.busy'), 'warn'); return; }
    if (up.failed() && !(await confirmDialog(t('new.failedUploads', { n: up.failed() })))) return;
    const body = { body: text.value };
    const ids = up.ids();
    if (ids.length) body.attachment_ids = ids;
    sending = true;
    submitBusy(submit, true, t('new.submitting'));
    try {
      await api('POST', `/tickets/${encodeURIComponent(id)}/comments`, body);
      store.remove(key);
      toast(t('sup.success'), 'success');
      navigate(`#/e/tickets/${encodeURIComponent(id)}`, { replace: true });
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  return page({ title: t('sup.title'), back: `#/e/tickets/${encodeURIComponent(id)}`, body: form });
}

// ---------------------------------------------------------------------------------------------
// Rate (revisit). Also the page the "resolved" SMS links to.

async function ratePage(params) {
  const id = params.id;
  const tk = await api('GET', `/tickets/${encodeURIComponent(id)}`);
  const back = `#/e/tickets/${encodeURIComponent(id)}`;
  const headCard = h('div', { class: 'card card-compact' },
    h('div', { class: 'th-row' }, statusTag(tk.status), h('span', { class: 'muted mono' }, tk.number)),
    h('div', { class: 'strong' }, tk.title),
    tk.resolution ? h('div', { class: 'rate-resolution' }, h('div', { class: 'muted' }, t('detail.result')), h('p', { class: 'pre' }, tk.resolution)) : null);

  if (tk.status !== 'resolved') {
    const msg = tk.rating && tk.status === 'closed'
      ? t('rate.already', { rating: t(`rating.${tk.rating}`) })
      : ['closed', 'rejected', 'withdrawn'].includes(tk.status)
        ? t('rate.final', { status: t(`status.${tk.status}`) })
        : t('rate.notResolved', { status: t(`status.${tk.status}`) });
    return page({ title: t('rate.title'), back, body: h('div', { class: 'rate' }, headCard,
      h('div', { class: 'state', 'data-testid': 'rate-done' }, h('p', null, msg), h('a', { class: 'btn btn-ghost', href: back }, t('rate.view')))) });
  }

  let rating = null;
  const comment = h('textarea', { class: 'textarea', name: 'comment', rows: '4', maxlength: '2000', placeholder: t('rate.commentPh'), 'data-testid': 'rate-comment' });
  const unsatHint = h('div', { class: 'notice notice-warn hidden', role: 'status' }, icon('alert'), h('span', null, t('rate.unsatHint')));
  const box = formError('rate-error');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'rate-submit' }, t('rate.submit'));
  const mouths = { satisfied: 'M8 14.5c1 1.6 2.4 2.4 4 2.4s3-.8 4-2.4', basically_satisfied: 'M8.5 15.5h7', unsatisfied: 'M8 16.5c1-1.4 2.4-2.1 4-2.1s3 .7 4 2.1' };
  const face = (r) => svg('svg', { viewBox: '0 0 24 24', class: 'rate-face', 'aria-hidden': 'true', focusable: 'false' },
    svg('circle', { cx: '12', cy: '12', r: '10', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6' }),
    svg('circle', { cx: '8.6', cy: '9.6', r: '1.2', fill: 'currentColor' }),
    svg('circle', { cx: '15.4', cy: '9.6', r: '1.2', fill: 'currentColor' }),
    svg('path', { d: mouths[r], fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6', 'stroke-linecap': 'round' }));
  const choice = h('div', { class: 'rate-options', role: 'radiogroup', 'aria-label': t('rate.question'), 'data-field': 'rating' },
    ['satisfied', 'basically_satisfied', 'unsatisfied'].map((r) => {
      const idr = `rate-${r}`;
      return [
        h('input', { type: 'radio', class: 'sr-only', name: 'rating', id: idr, value: r, 'data-testid': `rate-${r.replace('_', '-')}`,
          onchange: () => {
            rating = r;
            unsatHint.classList.toggle('hidden', r !== 'unsatisfied');
            comment.placeholder = r === 'unsatisfied' ? t('rate.commentPhUnsat') : t('rate.commentPh');
            clearFieldErrors(form);
          } }),
        h('label', { for: idr, class: ['rate-option', `rate-option-${r}`] }, face(r), h('span', null, t(`rating.${r}`))),
      ];
    }));
  const form = h('form', { class: 'form rate', novalidate: true },
    headCard,
    h('div', { class: 'form-cells' },
      h('div', { class: 'field field-stack' },
        h('div', { class: 'field-label' }, t('rate.question')),
        h('div', { class: 'field-control' }, choice),
        h('div', { class: 'field-error', 'aria-live': 'polite' })),
      unsatHint,
      field(t('rate.comment'), h('div', { class: 'textarea-wrap' }, comment, counter(comment, 2000)), null, { cls: 'field-stack' })),
    box, h('div', { class: 'form-actions' }, submit));

  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    setFormError(box, '');
    const le = localErrors({ rating: !rating && t('rate.need') });
    if (le) { showFieldErrors(form, le); return; }
    const body = { rating };
    if (comment.value.trim()) body.comment = comment.value;
    sending = true;
    submitBusy(submit, true, t('rate.submitting'));
    try {
      await api('POST', `/tickets/${encodeURIComponent(id)}/revisit`, body);
      toast(rating === 'unsatisfied' ? t('rate.reopened') : t('rate.thanks'), 'success');
      navigate(back, { replace: true });
    } catch (err) {
      sending = false;
      submitBusy(submit, false);
      if (!showFieldErrors(form, err)) setFormError(box, errorMessage(err));
    }
  });
  return page({ title: t('rate.title'), back, body: form });
}

// ---------------------------------------------------------------------------------------------
// Me

async function mePage() {
  const me = await api('GET', '/me');
  session.setUser(me);
  const ent = me.enterprise_id ? await api('GET', `/enterprises/${encodeURIComponent(me.enterprise_id)}`).catch(() => null) : null;

  const toggle = (name, testid, label) => {
    const cb = h('input', { type: 'checkbox', class: 'switch', role: 'switch', name, checked: !!me[name], 'data-testid': testid, 'aria-label': label });
    cb.addEventListener('change', async () => {
      cb.disabled = true;
      try {
        const u = await api('PATCH', '/me', { [name]: cb.checked });
        session.setUser(u);
        toast(t('me.saved'), 'success');
      } catch (err) { cb.checked = !cb.checked; toast(errorMessage(err), 'error'); }
      cb.disabled = false;
    });
    return cell({ label, value: cb });
  };

  const body = h('div', { class: 'me' },
    h('div', { class: 'me-card' },
      h('div', { class: 'me-avatar', 'aria-hidden': 'true' }, (me.name || '?').slice(0, 1)),
      h('div', null, h('div', { class: 'me-name', 'data-testid': 'me-name' }, me.name), h('div', { class: 'me-sub' }, ent ? ent.name : t(`role.${me.role}`)))),
    cells(t('me.profile'),
      cell({ label: t('me.phone'), value: h('span', { 'data-testid': 'me-phone' }, me.phone || '') }),
      cell({ label: t('me.username'), value: h('span', { 'data-testid': 'me-username' }, me.username) }),
      cell({ label: t('me.role'), value: t(`role.${me.role}`) }),
      ent ? cell({ label: t('me.enterprise'), value: h('span', { 'data-testid': 'me-enterprise' }, ent.name) }) : null,
      ent ? cell({ label: t('me.creditCode'), value: h('span', { class: 'mono', 'data-testid': 'me-credit-code' }, ent.credit_code) }) : null),
    cells(t('me.notify'),
      toggle('notify_sms', 'notify-sms', t('me.notifySms')),
      toggle('notify_email', 'notify-email', t('me.notifyEmail'))),
    cells(t('me.language'), h('div', { class: 'cell' }, langSwitch())),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn btn-block btn-outline-danger', 'data-testid': 'signout', onclick: async () => {
        if (!(await confirmDialog(t('common.signOutConfirm'), { okText: t('me.signout'), danger: true }))) return;
        session.signOut();
        navigate('#/login', { replace: true });
      } }, icon('logout'), t('me.signout'))));
  return page({ title: t('me.title'), body, tabbar: true });
}

// ---------------------------------------------------------------------------------------------

/** The server's rule: 8 to 128 characters, three of lower, upper, digit, other. */
function strongEnough(value) {
  const chars = [...value];
  if (chars.length < 8 || chars.length > 128) return false;
  const kinds = new Set(chars.map((c) => (/[a-z]/.test(c) ? 'l' : /[A-Z]/.test(c) ? 'u' : /[0-9]/.test(c) ? 'd' : 'o')));
  return kinds.size >= 3;
}

export function register() {
  setTabs('enterprise', [
    { hash: '#/e', label: 'e.tab.home', icon: 'home', testid: 'tab-home' },
    { hash: '#/e/tickets', label: 'e.tab.tickets', icon: 'list', testid: 'tab-tickets' },
    { hash: '#/e/me', label: 'e.tab.me', icon: 'user', testid: 'tab-me' },
  ]);
  route('#/login', loginPage, { public: true, guestOnly: true });
  route('#/register', registerPage, { public: true, guestOnly: true });
  const ent = { roles: ['enterprise'] };
  route('#/e', homePage, ent);
  route('#/e/new', newPage, ent);
  route('#/e/tickets', listPage, ent);
  route('#/e/tickets/:id', detailPage, ent);
  route('#/e/tickets/:id/rate', ratePage, ent);
  route('#/e/tickets/:id/supplement', supplementPage, ent);
  route('#/e/me', mePage, ent);
}
