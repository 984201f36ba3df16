// staff.js — the government staff's pages: the cadre workbench (#/c) and the dispatcher's desk (#/d).
// Also exports small helpers admin.js builds on (form dialogs, paged lists, the directory cache).
//
// ROUTES
//   #/c                 cadre workbench (?tab=to_sign|doing|due_soon|overdue|done)
//   #/c/tickets/:id     cadre ticket detail and actions
//   #/c/me, #/d/me      my account (notification switches, language, sign out)
//   #/d                 dispatcher queue (?tab=submitted|accepted|handling|overdue|resolved|all)
//   #/d/tickets/:id     dispatcher ticket detail and actions (admins too)
//
// DATA-TESTIDS (stable, for the E2E tests)
//   workbench:  tab-to-sign tab-in-progress tab-due-soon tab-overdue tab-done
//               count-to-sign count-in-progress count-due-soon count-overdue count-done
//   dispatcher: tab-submitted tab-accepted tab-handling tab-overdue tab-resolved tab-all
//               count-submitted count-accepted count-handling count-overdue count-resolved
//   tab bars:   tabbar-workbench tabbar-queue tabbar-me
//   lists:      ticket-search (input) ticket-search-submit only-mine (checkbox) ticket-list list-refresh
//               ticket-item (each card; data-id, data-status) ticket-title ticket-due load-more list-end
//   detail:     ticket-detail ticket-number ticket-title ticket-status ticket-description ticket-due
//               ticket-department ticket-assignee enterprise-name enterprise-more contact-name contact-phone
//               contact-call (tel: link) ticket-resolution extensions extension-item (data-status)
//               detail-refresh timeline (core) attachments (core) action-bar
//   actions:    action-sign action-return action-progress action-extend action-resolve action-comment
//               action-accept action-reject action-assign action-urge action-revisit action-close
//               action-approve-ext action-deny-ext
//   dialogs:    form-dialog (data-action=<action>) dialog-ok dialog-cancel (core confirm dialogs too)
//               return-reason reject-reason accept-note progress-note progress-public
//               extend-days extend-reason resolve-text resolve-adopted-yes resolve-adopted-no
//               comment-body comment-internal urge-note close-reason revisit-rating-satisfied
//               revisit-rating-basically_satisfied revisit-rating-unsatisfied revisit-comment
//               ext-note ext-deny-reason
//   assign:     assign-department assign-cadre assign-co-departments assign-co (each checkbox)
//               assign-priority-normal assign-priority-urgent assign-due-mode-default assign-due-mode-date
//               assign-due-date assign-deadline-preview assign-submit (= dialog-ok of the assign dialog)
//   me page:    me-name notify-email notify-sms lang-zh lang-en sign-out

import {
  h, icon, t, addStrings, lang, setLang, api, ApiError, errorMessage, session, route, navigate, page, toast,
  confirmDialog, field, showFieldErrors, clearFieldErrors, loading, empty, errorState, fmtDateTime, fmtDate,
  fmtDue, statusTag, kindTag, ratingTag, timeline, attachmentsView, segmented, tabs, setTabs, onLeave, currentHash,
} from './core.js';

// ---------------------------------------------------------------------------------------------
// Strings

addStrings({
  's.c.title': '干部工作台',
  's.c.tab.toSign': '待签收',
  's.c.tab.doing': '办理中',
  's.c.tab.dueSoon': '即将超期',
  's.c.tab.overdue': '已超期',
  's.c.tab.done': '已办结',
  's.c.empty.to_sign': '没有待签收的诉求',
  's.c.empty.doing': '没有办理中的诉求',
  's.c.empty.due_soon': '没有即将超期的诉求',
  's.c.empty.overdue': '没有超期的诉求，继续保持',
  's.c.empty.done': '还没有办结的诉求',
  's.c.onlyMine': '只看我经办的',
  's.d.title': '受理派单',
  's.d.tab.submitted': '待受理',
  's.d.tab.accepted': '已受理待派',
  's.d.tab.handling': '办理中',
  's.d.tab.overdue': '已超期',
  's.d.tab.resolved': '待回访',
  's.d.tab.all': '全部',
  's.d.empty.submitted': '没有待受理的诉求',
  's.d.empty.accepted': '没有待派单的诉求',
  's.d.empty.handling': '没有办理中的诉求',
  's.d.empty.overdue': '没有超期的诉求',
  's.d.empty.resolved': '没有待回访的诉求',
  's.d.empty.all': '还没有诉求',
  's.tab.workbench': '工作台',
  's.tab.queue': '受理',
  's.tab.me': '我的',
  's.search': '搜索标题、内容或编号',
  's.searchBtn': '搜索',
  's.countsFailed': '数量暂不可用',
  's.listFailed': '列表加载失败',
  's.mine': '我经办',
  's.unclaimed': '待认领',
  's.colleague': '同事经办',
  's.coHandling': '协办',
  's.liaison': '联点企业',
  's.urgent': '紧急',
  's.escalated': '督办{level}级',
  's.reopened': '重办{n}次',
  's.extended': '延期{n}次',
  's.filedAt': '提交于 {time}',
  's.detail.title': '诉求详情',
  's.refresh': '刷新',
  's.sec.info': '诉求信息',
  's.sec.description': '诉求内容',
  's.sec.enterprise': '企业与联系人',
  's.sec.resolution': '办理结果',
  's.sec.lastResolution': '上次办理结果（企业不满意，重办中）',
  's.sec.extensions': '延期申请',
  's.sec.attachments': '附件',
  's.sec.timeline': '办理记录',
  's.f.number': '诉求编号',
  's.f.kind': '类型',
  's.f.category': '诉求类别',
  's.f.channel': '渠道',
  's.f.priority': '优先级',
  's.f.createdAt': '提交时间',
  's.f.department': '承办单位',
  's.f.coDepartments': '协办单位',
  's.f.assignee': '经办人',
  's.f.due': '办理期限',
  's.f.signDue': '签收期限',
  's.f.extensions': '延期次数',
  's.f.escalation': '督办级别',
  's.f.reopen': '重办次数',
  's.f.rating': '回访评价',
  's.f.enterprise': '企业名称',
  's.f.creditCode': '信用代码',
  's.f.area': '所在区域',
  's.f.chain': '产业链',
  's.f.liaison': '联点干部',
  's.f.address': '地址',
  's.moreInfo': '企业档案',
  's.f.contact': '联系人',
  's.f.phone': '联系电话',
  's.f.adopted': '是否采纳',
  's.call': '拨打 {phone}',
  's.noAssignee': '未指定（单位内干部均可签收）',
  's.noDue': '未设定',
  's.notShown': '企业档案仅受理员和联点干部可见',
  's.yes': '是',
  's.no': '否',
  's.me': '我',
  's.internalNote': '内部',
  's.ext.pending': '待审批',
  's.ext.approved': '已批准',
  's.ext.denied': '未批准',
  's.ext.line': '申请延期 {days} 个工作日',
  's.ext.due': '期限 {before} → {after}',
  's.ext.dueNow': '申请时期限 {before}',
  's.ext.by': '申请时间 {time}',
  's.ext.decision': '审批意见：{text}',
  's.conflict': '刚被他人处理，已刷新',
  's.done': '已提交',
  's.a.sign': '签收',
  's.a.return': '退回',
  's.a.progress': '办理进展',
  's.a.extend': '申请延期',
  's.a.resolve': '办结',
  's.a.comment': '留言',
  's.a.accept': '受理',
  's.a.reject': '不予受理',
  's.a.assign': '派单',
  's.a.reassign': '重新派单',
  's.a.urge': '督办',
  's.a.revisit': '电话回访',
  's.a.close': '办结归档',
  's.a.approveExt': '批准延期',
  's.a.denyExt': '不批准',
  's.ok.sign': '已签收，请及时办理',
  's.ok.return': '已退回受理员',
  's.ok.progress': '进展已记录',
  's.ok.extend': '延期申请已提交，等待审批',
  's.ok.resolve': '已办结，等待回访',
  's.ok.comment': '留言已发送',
  's.ok.accept': '已受理',
  's.ok.reject': '已不予受理',
  's.ok.assign': '已派单',
  's.ok.urge': '已督办',
  's.ok.revisit': '回访已记录',
  's.ok.close': '已办结归档',
  's.ok.approveExt': '已批准延期',
  's.ok.denyExt': '已驳回延期申请',
  's.confirm.sign': '确认签收该诉求？签收后开始计入办理。',
  's.d.return.title': '退回诉求',
  's.d.return.reason': '退回原因',
  's.d.return.hint': '如：不属于本单位职责，请说明应由哪个单位办理',
  's.d.progress.title': '记录办理进展',
  's.d.progress.note': '进展情况',
  's.d.progress.public': '企业可见',
  's.d.progress.publicHint': '关闭时仅政府工作人员可见（内部记录）',
  's.d.extend.title': '申请延期',
  's.d.extend.days': '延期工作日',
  's.d.extend.daysHint': '从当前期限起算，最长可申请天数以系统设置为准（默认 30 个工作日）',
  's.d.extend.reason': '延期理由',
  's.d.resolve.title': '办结',
  's.d.resolve.text': '办理结果',
  's.d.resolve.hint': '办理结果将展示给企业，并用于回访',
  's.d.resolve.adopted': '建议是否采纳',
  's.d.resolve.adoptedYes': '采纳',
  's.d.resolve.adoptedNo': '不采纳',
  's.d.comment.title': '留言',
  's.d.comment.body': '留言内容',
  's.d.comment.internal': '内部留言（企业不可见）',
  's.d.accept.title': '受理诉求',
  's.d.accept.note': '受理意见',
  's.d.reject.title': '不予受理',
  's.d.reject.reason': '不予受理理由',
  's.d.reject.hint': '理由将告知企业，如：不属于受理范围、重复提交',
  's.d.urge.title': '督办',
  's.d.urge.note': '督办意见',
  's.d.revisit.title': '电话回访',
  's.d.revisit.rating': '企业评价',
  's.d.revisit.comment': '回访记录',
  's.d.revisit.unsatisfiedHint': '选择“不满意”后诉求将退回原承办人重办',
  's.d.close.title': '办结归档',
  's.d.close.reason': '归档说明',
  's.d.close.hint': '如：多次联系企业未果',
  's.d.close.confirm': '归档后诉求将销号，不能再回访或重办。确认归档？',
  's.d.approve.title': '批准延期',
  's.d.approve.note': '审批意见',
  's.d.deny.title': '不批准延期',
  's.d.deny.reason': '不批准理由',
  's.d.assign.title': '派单',
  's.d.assign.dept': '承办单位（牵头）',
  's.d.assign.deptPick': '请选择承办单位',
  's.d.assign.cadre': '经办人',
  's.d.assign.cadreNone': '不指定（单位内干部均可签收）',
  's.d.assign.cadreLoading': '正在加载干部…',
  's.d.assign.cadreEmpty': '该单位暂无可用的干部账号',
  's.d.assign.cadreFailed': '干部列表加载失败',
  's.d.assign.co': '协办单位',
  's.d.assign.coHint': '可多选，最多 10 个',
  's.d.assign.coMax': '协办单位最多 10 个',
  's.d.assign.priority': '优先级',
  's.d.assign.dueMode': '办理期限',
  's.d.assign.dueDefault': '按类别时限',
  's.d.assign.dueDate': '指定日期',
  's.d.assign.dueDateLabel': '办结日期',
  's.d.assign.dueDatePast': '请选择今天或以后的日期',
  's.d.assign.preview': '预计办结期限 {date}（{days}个工作日）',
  's.d.assign.previewUrgent': '紧急诉求：期限自派单起按小时计算',
  's.d.assign.previewDate': '办结期限 {date} 23:59',
  's.d.assign.previewLoading': '正在计算办结期限…',
  's.d.assign.previewFailed': '暂时无法预览办结期限（以派单结果为准）',
  's.d.assign.unknownYears': '{years} 年节假日未配置，按周一至周五计算',
  's.d.assign.current': '当前：{name}',
  's.me.title': '我的',
  's.me.username': '账号',
  's.me.role': '角色',
  's.me.department': '所在单位',
  's.me.phone': '手机号',
  's.me.email': '邮箱',
  's.me.notify': '消息通知',
  's.me.notifyEmail': '邮件通知',
  's.me.notifySms': '短信通知',
  's.me.saved': '已保存',
  's.me.lang': '语言 / Language',
  's.me.signOut': '退出登录',
  's.required': '此项为必填项',
  's.tooLong': '不能超过 {n} 个字符',
  's.intRange': '请输入 {min}–{max} 的整数',
  's.posInt': '请输入正整数',
  's.pickOne': '请选择',
  's.taken': '已被使用，请换一个',
  's.loadFailed': '加载失败',
}, {
  's.c.title': 'Cadre workbench',
  's.c.tab.toSign': 'To sign',
  's.c.tab.doing': 'In progress',
  's.c.tab.dueSoon': 'Due soon',
  's.c.tab.overdue': 'Overdue',
  's.c.tab.done': 'Resolved',
  's.c.empty.to_sign': 'Nothing to sign for',
  's.c.empty.doing': 'Nothing in progress',
  's.c.empty.due_soon': 'Nothing due soon',
  's.c.empty.overdue': 'Nothing overdue',
  's.c.empty.done': 'Nothing resolved yet',
  's.c.onlyMine': 'Only mine',
  's.d.title': 'Dispatch',
  's.d.tab.submitted': 'To accept',
  's.d.tab.accepted': 'To assign',
  's.d.tab.handling': 'Handling',
  's.d.tab.overdue': 'Overdue',
  's.d.tab.resolved': 'To revisit',
  's.d.tab.all': 'All',
  's.d.empty.submitted': 'Nothing to accept',
  's.d.empty.accepted': 'Nothing to assign',
  's.d.empty.handling': 'Nothing being handled',
  's.d.empty.overdue': 'Nothing overdue',
  's.d.empty.resolved': 'Nothing to revisit',
  's.d.empty.all': 'No tickets yet',
  's.tab.workbench': 'Workbench',
  's.tab.queue': 'Queue',
  's.tab.me': 'Me',
  's.search': 'Search title, text or number',
  's.searchBtn': 'Search',
  's.countsFailed': 'Counts unavailable',
  's.listFailed': 'Failed to load the list',
  's.mine': 'Mine',
  's.unclaimed': 'Unclaimed',
  's.colleague': 'Colleague',
  's.coHandling': 'Co-handling',
  's.liaison': 'Liaison',
  's.urgent': 'Urgent',
  's.escalated': 'Escalated L{level}',
  's.reopened': 'Reopened ×{n}',
  's.extended': 'Extended ×{n}',
  's.filedAt': 'Filed {time}',
  's.detail.title': 'Ticket',
  's.refresh': 'Refresh',
  's.sec.info': 'Details',
  's.sec.description': 'Description',
  's.sec.enterprise': 'Enterprise and contact',
  's.sec.resolution': 'Outcome',
  's.sec.lastResolution': 'Previous outcome (rated unsatisfied, being reworked)',
  's.sec.extensions': 'Extension requests',
  's.sec.attachments': 'Attachments',
  's.sec.timeline': 'Timeline',
  's.f.number': 'Number',
  's.f.kind': 'Kind',
  's.f.category': 'Category',
  's.f.channel': 'Channel',
  's.f.priority': 'Priority',
  's.f.createdAt': 'Filed',
  's.f.department': 'Lead department',
  's.f.coDepartments': 'Co-departments',
  's.f.assignee': 'Assignee',
  's.f.due': 'Deadline',
  's.f.signDue': 'Sign by',
  's.f.extensions': 'Extensions',
  's.f.escalation': 'Escalation',
  's.f.reopen': 'Reopened',
  's.f.rating': 'Rating',
  's.f.enterprise': 'Enterprise',
  's.f.creditCode': 'Credit code',
  's.f.area': 'Area',
  's.f.chain': 'Industry chain',
  's.f.liaison': 'Liaison cadre',
  's.f.address': 'Address',
  's.moreInfo': 'Enterprise record',
  's.f.contact': 'Contact',
  's.f.phone': 'Phone',
  's.f.adopted': 'Adopted',
  's.call': 'Call {phone}',
  's.noAssignee': 'None (any cadre of the department may sign)',
  's.noDue': 'Not set',
  's.notShown': '(enterprise record not visible to you)',
  's.yes': 'Yes',
  's.no': 'No',
  's.me': 'Me',
  's.internalNote': 'Internal',
  's.ext.pending': 'Pending',
  's.ext.approved': 'Approved',
  's.ext.denied': 'Denied',
  's.ext.line': '{days} working days requested',
  's.ext.due': 'Deadline {before} → {after}',
  's.ext.dueNow': 'Deadline when requested {before}',
  's.ext.by': 'Requested {time}',
  's.ext.decision': 'Decision: {text}',
  's.conflict': 'Someone else just handled it; refreshed',
  's.done': 'Done',
  's.a.sign': 'Sign for',
  's.a.return': 'Return',
  's.a.progress': 'Progress',
  's.a.extend': 'Extension',
  's.a.resolve': 'Resolve',
  's.a.comment': 'Message',
  's.a.accept': 'Accept',
  's.a.reject': 'Reject',
  's.a.assign': 'Assign',
  's.a.reassign': 'Re-assign',
  's.a.urge': 'Urge',
  's.a.revisit': 'Phone revisit',
  's.a.close': 'Close',
  's.a.approveExt': 'Approve',
  's.a.denyExt': 'Deny',
  's.ok.sign': 'Signed for',
  's.ok.return': 'Returned to the dispatchers',
  's.ok.progress': 'Progress recorded',
  's.ok.extend': 'Extension requested',
  's.ok.resolve': 'Resolved; waiting for the revisit',
  's.ok.comment': 'Message sent',
  's.ok.accept': 'Accepted',
  's.ok.reject': 'Rejected',
  's.ok.assign': 'Assigned',
  's.ok.urge': 'Urged',
  's.ok.revisit': 'Revisit recorded',
  's.ok.close': 'Closed',
  's.ok.approveExt': 'Extension approved',
  's.ok.denyExt': 'Extension denied',
  's.confirm.sign': 'Sign for this ticket? Handling starts now.',
  's.d.return.title': 'Return the ticket',
  's.d.return.reason': 'Reason',
  's.d.return.hint': 'e.g. not our responsibility; say which department should handle it',
  's.d.progress.title': 'Record progress',
  's.d.progress.note': 'Progress',
  's.d.progress.public': 'Visible to the enterprise',
  's.d.progress.publicHint': 'Off: only government staff see it (internal)',
  's.d.extend.title': 'Request an extension',
  's.d.extend.days': 'Working days',
  's.d.extend.daysHint': 'Counted from the current deadline; the maximum is a system setting (30 by default)',
  's.d.extend.reason': 'Reason',
  's.d.resolve.title': 'Resolve',
  's.d.resolve.text': 'Outcome',
  's.d.resolve.hint': 'Shown to the enterprise and used for the revisit',
  's.d.resolve.adopted': 'Suggestion adopted?',
  's.d.resolve.adoptedYes': 'Adopted',
  's.d.resolve.adoptedNo': 'Not adopted',
  's.d.comment.title': 'Message',
  's.d.comment.body': 'Message',
  's.d.comment.internal': 'Internal (hidden from the enterprise)',
  's.d.accept.title': 'Accept',
  's.d.accept.note': 'Note',
  's.d.reject.title': 'Reject',
  's.d.reject.reason': 'Reason',
  's.d.reject.hint': 'Shown to the enterprise, e.g. out of scope, duplicate',
  's.d.urge.title': 'Urge',
  's.d.urge.note': 'Note',
  's.d.revisit.title': 'Phone revisit',
  's.d.revisit.rating': 'Rating',
  's.d.revisit.comment': 'Notes of the call',
  's.d.revisit.unsatisfiedHint': 'Unsatisfied sends the ticket back to its handler for rework',
  's.d.close.title': 'Close',
  's.d.close.reason': 'Reason',
  's.d.close.hint': 'e.g. the enterprise could not be reached',
  's.d.close.confirm': 'Closing is final: no revisit or rework afterwards. Close it?',
  's.d.approve.title': 'Approve the extension',
  's.d.approve.note': 'Note',
  's.d.deny.title': 'Deny the extension',
  's.d.deny.reason': 'Reason',
  's.d.assign.title': 'Assign',
  's.d.assign.dept': 'Lead department',
  's.d.assign.deptPick': 'Choose a department',
  's.d.assign.cadre': 'Assignee',
  's.d.assign.cadreNone': 'None (any cadre of the department may sign)',
  's.d.assign.cadreLoading': 'Loading cadres…',
  's.d.assign.cadreEmpty': 'This department has no active cadre',
  's.d.assign.cadreFailed': 'Failed to load the cadres',
  's.d.assign.co': 'Co-departments',
  's.d.assign.coHint': 'Several allowed, at most 10',
  's.d.assign.coMax': 'At most 10 co-departments',
  's.d.assign.priority': 'Priority',
  's.d.assign.dueMode': 'Deadline',
  's.d.assign.dueDefault': 'Category default',
  's.d.assign.dueDate': 'Pick a date',
  's.d.assign.dueDateLabel': 'Due date',
  's.d.assign.dueDatePast': 'Pick today or a later day',
  's.d.assign.preview': 'Expected deadline {date} ({days} working days)',
  's.d.assign.previewUrgent': 'Urgent: the deadline counts hours from the assignment',
  's.d.assign.previewDate': 'Deadline {date} 23:59',
  's.d.assign.previewLoading': 'Computing the deadline…',
  's.d.assign.previewFailed': 'Deadline preview unavailable (the assignment decides)',
  's.d.assign.unknownYears': 'No holiday calendar for {years}: counted Monday to Friday',
  's.d.assign.current': 'Now: {name}',
  's.me.title': 'Me',
  's.me.username': 'Account',
  's.me.role': 'Role',
  's.me.department': 'Department',
  's.me.phone': 'Mobile',
  's.me.email': 'E-mail',
  's.me.notify': 'Notifications',
  's.me.notifyEmail': 'E-mail',
  's.me.notifySms': 'SMS',
  's.me.saved': 'Saved',
  's.me.lang': '语言 / Language',
  's.me.signOut': 'Sign out',
  's.required': 'Required',
  's.tooLong': 'At most {n} characters',
  's.intRange': 'Enter a whole number from {min} to {max}',
  's.posInt': 'Enter a positive whole number',
  's.pickOne': 'Please choose',
  's.taken': 'Already taken',
  's.loadFailed': 'Failed to load',
});

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by admin.js)

/** A cache of directory look-ups, per signed-in user, with a short lifetime. */
const cache = new Map();
function cacheKey(k) { const u = session.user(); return `${u ? u.id : '-'}|${k}`; }
export function cached(key, fn, ttlMs = 5 * 60000) {
  const k = cacheKey(key);
  const c = cache.get(k);
  if (c && Date.now() - c.at < ttlMs) return c.p;
  const p = Promise.resolve().then(fn);
  cache.set(k, { p, at: Date.now() });
  p.catch(() => { if (cache.get(k) && cache.get(k).p === p) cache.delete(k); });
  return p;
}
export function invalidate(prefix) {
  const pre = cacheKey(prefix);
  for (const k of [...cache.keys()]) if (k.startsWith(pre)) cache.delete(k);
}

/** Every page of a cursor-paged list (capped). */
export async function fetchAll(path, query = {}, max = 3000) {
  const items = [];
  let cursor = null;
  do {
    const r = await api('GET', path, null, { query: { ...query, limit: 100, cursor } });
    items.push(...(r.items || []));
    cursor = r.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

export const directory = {
  departments: () => cached('departments', () => api('GET', '/departments').then((r) => r.items || [])),
  categories: () => cached('categories', () => api('GET', '/categories').then((r) => r.items || [])),
  category: (id) => cached(`category:${id}`, () => api('GET', `/categories/${encodeURIComponent(id)}`)),
  user: (id) => cached(`user:${id}`, () => api('GET', `/users/${encodeURIComponent(id)}`)),
  // null when the enterprise is not visible to the reader (a cadre who is not its liaison cadre): remembered, not retried.
  enterprise: (id) => cached(`enterprise:${id}`, () => api('GET', `/enterprises/${encodeURIComponent(id)}`)
    .catch((e) => { if (e instanceof ApiError && (e.status === 404 || e.status === 403)) return null; throw e; }), 5 * 60000),
  cadres: (deptId) => cached(`cadres:${deptId || ''}`, () => fetchAll('/users', { role: 'cadre', department_id: deptId, disabled: false }), 60000),
};

/** Departments as a tree, flattened in display order: [{dept, depth}]. */
export function deptTree(depts, excludeId) {
  const byParent = new Map();
  const ids = new Set(depts.map((d) => d.id));
  for (const d of depts) {
    const p = d.parent_id && ids.has(d.parent_id) ? d.parent_id : null;
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p).push(d);
  }
  const out = [];
  const walk = (pid, depth) => {
    const kids = (byParent.get(pid) || []).slice().sort((a, b) => a.name.localeCompare(b.name, 'zh'));
    for (const d of kids) {
      if (excludeId && d.id === excludeId) continue; // and its subtree
      out.push({ dept: d, depth });
      if (depth < 64) walk(d.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

export function deptSelectOptions(depts, { selected, placeholder, excludeId } = {}) {
  const opts = [];
  if (placeholder !== undefined) opts.push(h('option', { value: '' }, placeholder));
  for (const { dept, depth } of deptTree(depts, excludeId)) {
    opts.push(h('option', { value: dept.id, selected: dept.id === selected }, `${'　'.repeat(depth)}${dept.name}`));
  }
  return opts;
}

export function nameMap(list) {
  const m = new Map();
  for (const x of list || []) m.set(x.id, x.name);
  return m;
}

/** Chinese for the server's field messages (English), where we know them. */
const ZH_MSG = [
  [/^must be 3 to 64 letters, digits or _ \. @ -$/, () => '须为 3–64 位字母、数字或 _ . @ -'],
  [/^is not a mainland China mobile number/, () => '不是有效的手机号（11 位，以 1 开头）'],
  [/^is not a mobile number, a landline with area code, or a 400\/800 number$/, () => '不是有效的联系电话（手机、带区号的座机或 400/800 号码）'],
  [/^is not an e-mail address$/, () => '邮箱格式不正确'],
  [/^is not a valid unified social credit code: (.*)$/, (m) => `统一社会信用代码有误：${zhMsg(m[1])}`],
  [/^is not a valid unified social credit code/, () => '不是有效的统一社会信用代码'],
  [/check character does not match \(expected (\w)\)/, (m) => `校验位不正确（应为 ${m[1]}）`],
  [/must be 18 characters long/, () => '应为 18 位'],
  [/^no active cadre with the username or phone (.*)$/, (m) => `没有账号或手机号为 ${m[1]} 的在用干部`],
  [/^no active cadre with this id$/, () => '不是在用的干部账号'],
  [/^no such department/, () => '单位不存在'],
  [/^no such enterprise$/, () => '企业不存在'],
  [/^no such category$/, () => '类别不存在'],
  [/^must be in the future$/, () => '必须晚于当前时间'],
  [/^must be between (\d+) and (\d+)$/, (m) => `须在 ${m[1]}–${m[2]} 之间`],
  [/^is required when resolving a suggestion$/, () => '建议类诉求须选择是否采纳'],
  [/^is required for a cadre$/, () => '干部须选择所在单位'],
  [/^is required for an enterprise user$/, () => '企业用户须选择所属企业'],
  [/^must be a date, YYYY-MM-DD$/, () => '日期格式应为 YYYY-MM-DD'],
  [/^not valid TOML/, () => '不是有效的 TOML'],
  [/^not an \.xlsx workbook/, () => '不是 .xlsx 工作簿'],
  [/^not a workbook, no header, or no rows$/, () => '不是工作簿，或缺少表头、没有数据行'],
  [/the make-up working day (\S+) is a (\w+), not a weekend day/, (m) => `调休上班日 ${m[1]} 不是周末（${m[2]}）`],
  [/^is (\d+), but the path says (\d+)$/, (m) => `文件年份为 ${m[1]}，与所选年份 ${m[2]} 不一致`],
];
export function zhMsg(msg) {
  if (lang() === 'en' || typeof msg !== 'string') return msg;
  for (const [re, fn] of ZH_MSG) {
    const m = re.exec(msg);
    if (m) {
      const prefix = msg.slice(0, m.index).replace(/:\s*$/, '');
      return prefix ? `${prefix}：${fn(m)}` : fn(m);
    }
  }
  return msg;
}
function localizeFields(err) {
  if (err && err.fields) for (const k of Object.keys(err.fields)) err.fields[k] = zhMsg(err.fields[k]);
  return err;
}

/** A local validation error shaped like the server's, for showFieldErrors(). */
export function localError(fields) {
  return new ApiError(422, 'validation_failed', Object.values(fields).join('; '), fields);
}

/** Checks values of a form: rules {name: {required, max, int: [min, max]}} → throws localError. */
export function checkFields(values, rules) {
  const errs = {};
  for (const [name, r] of Object.entries(rules)) {
    const v = values[name];
    const s = v === undefined || v === null ? '' : String(v);
    if (r.required && !s.trim()) { errs[name] = t('s.required'); continue; }
    if (r.max && [...s].length > r.max) { errs[name] = t('s.tooLong', { n: r.max }); continue; }
    if (r.int && s.trim()) {
      const n = Number(s);
      if (!Number.isInteger(n) || n < r.int[0] || n > r.int[1]) errs[name] = r.int[0] === 1 && r.int[1] >= 1000 ? t('s.posInt') : t('s.intRange', { min: r.int[0], max: r.int[1] });
    }
  }
  if (Object.keys(errs).length) throw localError(errs);
}

/** Reads a form's named controls into an object (checkboxes → boolean; several same-named checkboxes → array). */
export function formValues(form) {
  const out = {};
  const groups = new Map();
  for (const el of form.querySelectorAll('input[name],select[name],textarea[name]')) {
    if (el.type === 'checkbox') {
      const same = form.querySelectorAll(`input[type=checkbox][name="${el.name}"]`).length;
      if (same > 1 || el.dataset.multi) {
        if (!groups.has(el.name)) groups.set(el.name, []);
        if (el.checked) groups.get(el.name).push(el.value);
      } else out[el.name] = el.checked;
    } else if (el.type === 'radio') {
      if (el.checked) out[el.name] = el.value;
      else if (!(el.name in out)) out[el.name] = undefined;
    } else out[el.name] = el.value;
  }
  for (const [k, v] of groups) out[k] = v;
  return out;
}

/** Sets a form's controls from an object (for drafts). */
function fillForm(form, values) {
  for (const [name, v] of Object.entries(values || {})) {
    for (const el of form.querySelectorAll(`[name="${name}"]`)) {
      if (el.type === 'checkbox') el.checked = Array.isArray(v) ? v.includes(el.value) : !!v;
      else if (el.type === 'radio') el.checked = el.value === v;
      else if (v !== undefined && v !== null) el.value = v;
    }
  }
}

/**
 * A modal form. fields: Node or array of Nodes (build them with field()).
 * submit(form, values) runs on OK; throw to keep the dialog open (field errors are shown under the fields,
 * the rest in the form's error box); return a value to close with it. Resolves null when cancelled.
 * opts.onCancel(form) runs when the user cancels (e.g. to keep a draft).
 */
export function formDialog({ title, fields, okText, danger, testid, action, submit, wide, onOpen, onCancel, initial, duplicateField }) {
  return new Promise((resolve) => {
    const formError = h('div', { class: 'form-error hidden', role: 'alert', 'data-testid': 'form-error' });
    const okBtn = h('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], 'data-testid': 'dialog-ok' }, okText || t('common.submit'));
    const cancelBtn = h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'dialog-cancel' }, t('common.cancel'));
    const form = h('form', { class: 'sf-form', novalidate: true },
      h('div', { class: 'sf-dialog-head' }, h('h2', { class: 'sf-dialog-title' }, title)),
      h('div', { class: 'dialog-body sf-dialog-body' }, fields, formError),
      h('div', { class: 'dialog-actions' }, cancelBtn, okBtn));
    const dlg = h('dialog', { class: ['dialog', 'sf-dialog', wide && 'sf-dialog-wide'], 'data-testid': testid || 'form-dialog', 'data-action': action || null, 'aria-label': title }, form);
    let done = false;
    let busy = false;
    const finish = (v, cancelled) => {
      if (done) return;
      done = true;
      if (cancelled && onCancel) { try { onCancel(form); } catch (e) { console.error(e); } }
      if (dlg.open) dlg.close();
      dlg.remove();
      resolve(v);
    };
    cancelBtn.addEventListener('click', () => finish(null, true));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); if (!busy) finish(null, true); });
    dlg.addEventListener('close', () => finish(null, true));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (busy) return;
      clearFieldErrors(form);
      busy = true;
      okBtn.disabled = true; okBtn.classList.add('is-busy');
      try {
        const r = await submit(form, formValues(form));
        finish(r === undefined ? true : r, false);
      } catch (err) {
        if (err && err.closeDialog) { finish(null, false); return; }
        if (err && err.silent) return;
        if (!(err instanceof ApiError)) console.error(err);
        // A taken unique value belongs under its field (the message says which).
        if (err instanceof ApiError && err.code === 'duplicate' && duplicateField) {
          const f = typeof duplicateField === 'function' ? duplicateField(err) : duplicateField;
          if (f && form.querySelector(`[name="${f}"]`)) err = new ApiError(422, 'validation_failed', err.message, { [f]: t('s.taken') });
        }
        if (err instanceof ApiError) localizeFields(err);
        const hadFields = err instanceof ApiError && err.code === 'validation_failed' && showFieldErrors(form, err);
        if (!hadFields) { formError.textContent = errorMessage(err); formError.classList.remove('hidden'); }
      } finally {
        busy = false;
        if (!done) { okBtn.disabled = false; okBtn.classList.remove('is-busy'); }
      }
    });
    if (initial) fillForm(form, initial);
    document.body.appendChild(dlg);
    dlg.showModal();
    if (onOpen) onOpen(form);
    setTimeout(() => {
      const first = form.querySelector('textarea,input:not([type=hidden]):not(.sr-only),select');
      if (first) first.focus();
    }, 0);
  });
}

export function textArea(name, { rows = 4, max, placeholder, testid, value } = {}) {
  return h('textarea', { name, class: 'textarea', rows: String(rows), maxlength: max ? String(max) : null, placeholder: placeholder || null, 'data-testid': testid, value: value || '' });
}
export function textInput(name, { type = 'text', max, placeholder, testid, value, autocomplete, inputmode, min, maxNum } = {}) {
  return h('input', { name, type, class: 'input', maxlength: max ? String(max) : null, placeholder: placeholder || null, 'data-testid': testid, value: value ?? '',
    autocomplete: autocomplete || null, inputmode: inputmode || null, min: min ?? null, max: maxNum ?? null });
}
export function selectInput(name, options, { testid, onchange } = {}) {
  return h('select', { name, class: 'select', 'data-testid': testid, onchange }, options);
}
export function checkbox(name, label, { checked, testid, value } = {}) {
  return h('label', { class: 'sf-check' },
    h('input', { type: 'checkbox', name, checked: !!checked, 'data-testid': testid, value: value ?? 'on' }),
    h('span', null, label));
}

/** A list fed page by page ("加载更多"). load(cursor) → {items, next_cursor}. */
export function pagedList({ load, item, emptyText, testid = 'list', listTag = 'div', listClass, wrap, onItems }) {
  const list = h(listTag, { class: listClass || 'list', 'data-testid': testid });
  const footer = h('div', { class: 'sf-more' });
  const shell = wrap ? wrap(list) : list;
  const root = h('div', { class: 'sf-paged' }, shell, footer);
  let cursor = null;
  let seq = 0;
  let count = 0;
  async function more(reset) {
    const my = reset ? ++seq : seq;
    if (reset) { cursor = null; count = 0; list.replaceChildren(); shell.classList.add('hidden'); }
    footer.replaceChildren(loading());
    try {
      const r = await load(cursor);
      if (my !== seq) return;
      const items = r.items || [];
      for (const it of items) { const n = item(it); if (n) list.appendChild(n); }
      count += items.length;
      cursor = r.next_cursor || null;
      if (onItems) onItems(items, count);
      shell.classList.toggle('hidden', count === 0);
      if (!count) footer.replaceChildren(empty(emptyText));
      else if (cursor) {
        footer.replaceChildren(h('button', { type: 'button', class: 'btn btn-ghost btn-block', 'data-testid': 'load-more', onclick: () => more(false) }, t('common.more')));
      } else footer.replaceChildren(h('div', { class: 'sf-end muted', 'data-testid': 'list-end' }, t('common.noMore')));
    } catch (err) {
      if (my !== seq) return;
      if (err instanceof ApiError && err.status === 401) return;
      footer.replaceChildren(errorState(err, () => more(count === 0)));
    }
  }
  more(true);
  return { element: root, reload: () => more(true), list };
}

/** Replace the hash's query without re-rendering (keeps the tab in the address for reloads and Back). */
export function setHashQuery(query) {
  const base = currentHash().split('?')[0];
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  history.replaceState(history.state, '', s ? `${base}?${s}` : base);
}

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

/** A "tel:" href for a stored contact number ('0731-88889999-8' → 'tel:073188889999,8'). */
export function telHref(phone) {
  const s = String(phone || '').trim();
  const parts = s.split('-');
  if (parts.length === 3) return `tel:${parts[0]}${parts[1]},${parts[2]}`;
  return `tel:${s.replace(/[^\d+]/g, '')}`;
}

/** "a sign-out + language + notification switches" account page, shared by cadres, dispatchers and admins. */
export async function mePage(back) {
  let me = session.user();
  try { me = await api('GET', '/me'); session.setUser(me); } catch (err) { if (err instanceof ApiError && err.status === 401) throw err; }
  let deptName = '';
  if (me.department_id) {
    try { deptName = nameMap(await directory.departments()).get(me.department_id) || ''; } catch { /* shown empty */ }
  }
  const save = async (key, input) => {
    input.disabled = true;
    try {
      const u = await api('PATCH', '/me', { [key]: input.checked });
      session.setUser(u);
      toast(t('s.me.saved'), 'success');
    } catch (err) {
      input.checked = !input.checked;
      toast(errorMessage(err), 'error');
    } finally { input.disabled = false; }
  };
  const sw = (key, label, testid) => h('label', { class: 'cell' }, h('span', { class: 'cell-label' }, label), h('span', { class: 'cell-value' },
    h('input', { type: 'checkbox', class: 'switch', role: 'switch', checked: !!me[key], 'data-testid': testid, 'aria-label': label, onchange: (e) => save(key, e.target) })));
  const row = (label, value) => (value ? h('div', { class: 'cell' }, h('span', { class: 'cell-label' }, label), h('span', { class: 'cell-value' }, value)) : null);
  const body = h('div', { class: 'me sf-me' },
    h('div', { class: 'me-card' },
      h('div', { class: 'me-avatar', 'aria-hidden': 'true' }, (me.name || me.username || '?').slice(0, 1)),
      h('div', null,
        h('div', { class: 'me-name', 'data-testid': 'me-name' }, me.name || me.username),
        h('div', { class: 'me-sub' }, t(`role.${me.role}`), deptName ? ` · ${deptName}` : ''))),
    h('section', { class: 'cells' },
      row(t('s.me.username'), me.username),
      row(t('s.me.phone'), me.phone),
      row(t('s.me.email'), me.email)),
    h('section', { class: 'cells' },
      h('h2', { class: 'cells-title' }, t('s.me.notify')),
      sw('notify_email', t('s.me.notifyEmail'), 'notify-email'),
      sw('notify_sms', t('s.me.notifySms'), 'notify-sms')),
    h('section', { class: 'cells' },
      h('h2', { class: 'cells-title' }, t('s.me.lang')),
      h('div', { class: 'cell' }, segmented({ name: 'lang', value: lang(), label: t('s.me.lang'),
        options: [{ value: 'zh', label: '中文', testid: 'lang-zh' }, { value: 'en', label: 'English', testid: 'lang-en' }],
        onChange: (v) => setLang(v) }))),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn btn-outline-danger btn-block', 'data-testid': 'sign-out',
      onclick: async () => {
        if (!(await confirmDialog(t('common.signOutConfirm'), { danger: true, okText: t('s.me.signOut') }))) return;
        session.signOut();
        navigate('#/login', { replace: true });
      } }, icon('logout'), t('s.me.signOut'))));
  return page({ title: t('s.me.title'), back, body, tabbar: true, wide: true, className: 'sf-page sf-mepage' });
}

// ---------------------------------------------------------------------------------------------
// Ticket lists

function isMine(tk, me) { return tk.assignee_id && me && tk.assignee_id === me.id; }

function relationTag(tk, me) {
  if (!me || me.role !== 'cadre') return null;
  if (isMine(tk, me)) return h('span', { class: 'tag sf-tag-mine' }, t('s.mine'));
  if (!tk.assignee_id && tk.department_id && tk.department_id === me.department_id) return h('span', { class: 'tag tag-assigned' }, t('s.unclaimed'));
  if (tk.department_id === me.department_id) return h('span', { class: 'tag tag-muted' }, t('s.colleague'));
  if ((tk.co_department_ids || []).includes(me.department_id)) return h('span', { class: 'tag tag-muted' }, t('s.coHandling'));
  return h('span', { class: 'tag tag-muted' }, t('s.liaison'));
}

function dueBadge(tk) {
  if (!tk.due_at || !['assigned', 'in_progress'].includes(tk.status)) return null;
  const d = fmtDue(tk.due_at);
  return h('span', { class: ['due', d.cls], 'data-testid': 'ticket-due' }, icon('clock'), d.text);
}

function ticketCard(tk, href, ctx) {
  const me = session.user();
  const ent = h('span', { class: 'sf-card-ent' }, tk.contact_name || '');
  if (ctx.enterpriseNames && tk.enterprise_id) {
    directory.enterprise(tk.enterprise_id).then((e) => { if (e && e.name) ent.textContent = e.name; }, () => {});
  }
  const cat = ctx.categories && ctx.categories.get(tk.category_id);
  const dept = ctx.departments && tk.department_id ? ctx.departments.get(tk.department_id) : null;
  return h('a', { class: ['list-item', 'sf-card', tk.overdue && 'is-overdue'], href, 'data-testid': 'ticket-item', 'data-id': tk.id, 'data-status': tk.status },
    h('div', { class: 'ti-head' },
      h('div', { class: 'ti-title', 'data-testid': 'ticket-title' }, tk.title),
      statusTag(tk.status)),
    h('div', { class: 'ti-meta muted' },
      h('span', { class: 'ti-number' }, tk.number),
      kindTag(tk.kind),
      tk.priority === 'urgent' ? h('span', { class: 'tag tag-urgent' }, t('s.urgent')) : null,
      cat ? h('span', null, cat) : null,
      relationTag(tk, me),
      tk.escalation_level > 0 ? h('span', { class: 'tag tag-warn' }, t('s.escalated', { level: tk.escalation_level })) : null,
      tk.reopen_count > 0 ? h('span', { class: 'tag tag-muted' }, t('s.reopened', { n: tk.reopen_count })) : null),
    h('div', { class: 'ti-foot' },
      h('span', { class: 'sf-card-who muted' }, ent, dept && ctx.showDept ? h('span', null, ` · ${dept}`) : null),
      h('span', { class: 'sf-card-right' },
        dueBadge(tk),
        tk.status === 'resolved' || tk.status === 'closed' ? ratingTag(tk.rating) : null,
        !dueBadge(tk) ? h('span', { class: 'muted sf-small' }, fmtDateTime(tk.created_at)) : null)));
}

const lastList = { cadre: '#/c', dispatch: '#/d' };

function countLabel(label, testid, cls) {
  return [h('span', null, label), h('span', { class: ['sf-count', cls], 'data-testid': testid }, '')];
}

async function listPage({ mode, query }) {
  const me = session.user();
  const isCadre = mode === 'cadre';
  const TABS = isCadre ? [
    { value: 'to_sign', label: 's.c.tab.toSign', testid: 'tab-to-sign', countId: 'count-to-sign', q: { status: 'assigned' }, count: (c) => c.assigned },
    { value: 'doing', label: 's.c.tab.doing', testid: 'tab-in-progress', countId: 'count-in-progress', q: { status: 'in_progress' }, count: (c) => c.in_progress },
    { value: 'due_soon', label: 's.c.tab.dueSoon', testid: 'tab-due-soon', countId: 'count-due-soon', q: { due_soon: true }, count: (c) => c.due_soon, cls: 'sf-count-warn' },
    { value: 'overdue', label: 's.c.tab.overdue', testid: 'tab-overdue', countId: 'count-overdue', q: { overdue: true }, count: (c) => c.overdue, cls: 'sf-count-danger' },
    { value: 'done', label: 's.c.tab.done', testid: 'tab-done', countId: 'count-done', q: { status: 'resolved,closed' }, count: (c) => (c.resolved ?? 0) + (c.closed ?? 0) },
  ] : [
    { value: 'submitted', label: 's.d.tab.submitted', testid: 'tab-submitted', countId: 'count-submitted', q: { status: 'submitted' }, count: (c) => c.submitted, cls: 'sf-count-warn' },
    { value: 'accepted', label: 's.d.tab.accepted', testid: 'tab-accepted', countId: 'count-accepted', q: { status: 'accepted' }, count: (c) => c.accepted },
    { value: 'handling', label: 's.d.tab.handling', testid: 'tab-handling', countId: 'count-handling', q: { status: 'assigned,in_progress' }, count: (c) => (c.assigned ?? 0) + (c.in_progress ?? 0) },
    { value: 'overdue', label: 's.d.tab.overdue', testid: 'tab-overdue', countId: 'count-overdue', q: { overdue: true }, count: (c) => c.overdue, cls: 'sf-count-danger' },
    { value: 'resolved', label: 's.d.tab.resolved', testid: 'tab-resolved', countId: 'count-resolved', q: { status: 'resolved' }, count: (c) => c.resolved },
    { value: 'all', label: 's.d.tab.all', testid: 'tab-all', q: {} },
  ];
  let tab = TABS.find((x) => x.value === query.tab) ? query.tab : TABS[0].value;
  let q = query.q || '';
  let onlyMine = isCadre && query.mine === '1';
  const base = isCadre ? '#/c' : '#/d';

  const [depts, cats] = await Promise.all([
    directory.departments().catch(() => []),
    directory.categories().catch(() => []),
  ]);
  const ctx = { departments: nameMap(depts), categories: nameMap(cats), enterpriseNames: !isCadre, showDept: !isCadre };

  const tabsNode = tabs(TABS.map((x) => ({ value: x.value, testid: x.testid, label: x.countId ? countLabel(t(x.label), x.countId, x.cls) : t(x.label) })), tab, (v) => { tab = v; go(); });
  tabsNode.classList.add('sf-tabs');

  const search = h('input', { type: 'search', class: 'input', name: 'q', value: q, placeholder: t('s.search'), 'data-testid': 'ticket-search', maxlength: '100', 'aria-label': t('s.search'), enterkeyhint: 'search' });
  const toolbar = h('form', { class: 'toolbar sf-toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); q = search.value.trim(); go(); } },
    h('div', { class: 'sf-search' }, icon('search'), search),
    h('button', { type: 'submit', class: 'btn btn-ghost btn-small', 'data-testid': 'ticket-search-submit' }, t('s.searchBtn')),
    isCadre ? h('label', { class: 'sf-check' },
      h('input', { type: 'checkbox', checked: onlyMine, 'data-testid': 'only-mine', onchange: (e) => { onlyMine = e.target.checked; go(); } }),
      h('span', null, t('s.c.onlyMine'))) : null);
  search.addEventListener('search', () => { if (!search.value && q) { q = ''; go(); } });

  const listBox = h('div', { class: 'sf-listbox' });
  let current = null;

  function go() {
    // (only while this list is the current page: the first go() runs after the look-ups above, when the user may have moved on)
    if (currentHash().split('?')[0] === base) {
      setHashQuery({ tab, q, mine: onlyMine ? '1' : '' });
      lastList[mode] = currentHash();
    }
    const def = TABS.find((x) => x.value === tab);
    const filter = { ...def.q, q: q || undefined, assignee_id: onlyMine ? me.id : undefined };
    current = pagedList({
      testid: 'ticket-list',
      emptyText: q ? t('common.empty') : t(`${isCadre ? 's.c' : 's.d'}.empty.${tab}`),
      load: (cursor) => api('GET', '/tickets', null, { query: { ...filter, limit: 20, cursor } }),
      item: (tk) => ticketCard(tk, `${base}/tickets/${encodeURIComponent(tk.id)}`, ctx),
    });
    listBox.replaceChildren(current.element);
    loadCounts();
  }

  async function loadCounts() {
    try {
      const c = await api('GET', '/tickets/counts');
      for (const x of TABS) {
        if (!x.countId) continue;
        const el = tabsNode.querySelector(`[data-testid="${x.countId}"]`);
        const n = x.count(c);
        if (el) { el.textContent = n === undefined || n === null ? '' : String(n); el.classList.toggle('is-zero', !n); }
      }
    } catch (err) {
      tabsNode.title = t('s.countsFailed');
    }
  }

  // Refresh counts and the list when coming back to the tab (another user may have acted).
  const onVis = () => { if (document.visibilityState === 'visible') loadCounts(); };
  document.addEventListener('visibilitychange', onVis);
  const poll = setInterval(() => { if (document.visibilityState === 'visible') loadCounts(); }, 60000);
  onLeave(() => { document.removeEventListener('visibilitychange', onVis); clearInterval(poll); });

  go();
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), 'data-testid': 'list-refresh', onclick: () => go() }, icon('refresh'));
  return page({ title: t(isCadre ? 's.c.title' : 's.d.title'), actions: refreshBtn, tabbar: true, wide: true, className: 'sf-page sf-listpage',
    body: h('div', { class: 'sf-listwrap' }, tabsNode, toolbar, listBox) });
}

// ---------------------------------------------------------------------------------------------
// Ticket detail and actions

const drafts = new Map(); // `${ticketId}:${action}` → form values kept when a dialog closes without success

class StaleError extends Error {
  constructor() { super('stale'); this.closeDialog = true; this.stale = true; }
}

function isConflict(err) {
  return err instanceof ApiError && ((err.status === 409 && (err.code === 'concurrent_update' || err.code === 'illegal_transition'))
    || (err.status === 412 && err.code === 'version_mismatch'));
}

function kv(label, value, testid, cls) {
  if (value === undefined || value === null || value === '') return null;
  return h('div', { class: ['sf-kv', cls] }, h('dt', null, label), h('dd', { 'data-testid': testid }, value));
}

function extStatusTag(s) {
  return h('span', { class: ['tag', `sf-ext-${s}`] }, t(`s.ext.${s}`));
}

async function detailPage({ id, mode }) {
  const me = session.user();
  const isCadre = mode === 'cadre';
  const isStaffDesk = !isCadre; // dispatcher or admin
  const body = h('div', { class: 'detail has-actionbar sf-detail', 'data-testid': 'ticket-detail' });
  const actionBar = h('div', { class: 'actionbar sf-actionbar', 'data-testid': 'action-bar' });
  let ticket = null;
  let extensions = [];

  async function fetchAll_() {
    const tk = await api('GET', `/tickets/${encodeURIComponent(id)}`);
    const ex = await api('GET', `/tickets/${encodeURIComponent(id)}/extensions`).then((r) => r.items || [], () => []);
    const [depts, cats] = await Promise.all([directory.departments().catch(() => []), directory.categories().catch(() => [])]);
    let category = cats.find((c) => c.id === tk.category_id) || null;
    if (!category && tk.category_id) category = await directory.category(tk.category_id).catch(() => null);
    // The name comes with the ticket (enterprise_name). A cadre may read the record only as its liaison cadre (404 otherwise),
    // so a cadre's page fetches it when "more info" is opened, not up front.
    let enterprise = null;
    if (tk.enterprise_id && isStaffDesk) enterprise = await directory.enterprise(tk.enterprise_id).catch(() => null);
    // The detail answer names every actor / comment author / assignee in `people`; look up only the rest (staff desks).
    const users = new Map(Object.entries(tk.people || {}).filter(([, n]) => n));
    if (me) users.set(me.id, me.name || me.username);
    if (isStaffDesk) {
      const ids = new Set([tk.assignee_id, enterprise && enterprise.liaison_cadre_id, ...(tk.events || []).map((e) => e.actor_id),
        ...(tk.comments || []).map((c) => c.author_id), ...ex.map((x) => x.requested_by)].filter((uid) => uid && !users.has(uid)));
      await Promise.all([...ids].map((uid) => directory.user(uid).then((u) => users.set(uid, u.name || u.username), () => {})));
    }
    return { tk, ex, depts, category, enterprise, users };
  }

  async function reload(keepScroll = true) {
    const y = window.scrollY;
    const data = await fetchAll_();
    draw(data);
    if (keepScroll) window.scrollTo(0, y);
  }

  // Every ticket action names the version it was decided on: the server refuses it (412) if
  // the ticket changed in between. The extension decisions take no If-Match, so they read the
  // ticket again first (ensureFresh).
  const ifMatch = () => ({ headers: { 'If-Match': `"${ticket.version}"` } });

  async function ensureFresh() {
    const tk = await api('GET', `/tickets/${encodeURIComponent(id)}`);
    if (tk.version !== ticket.version) throw new StaleError();
  }

  async function conflict() {
    toast(t('s.conflict'), 'warn');
    try { await reload(); } catch (e) { toast(errorMessage(e), 'error'); }
  }

  async function simple(action, okMsg, confirmMsg) {
    if (confirmMsg && !(await confirmDialog(confirmMsg, { okText: t(`s.a.${action}`) }))) return;
    try {
      await api('POST', `/tickets/${encodeURIComponent(id)}/${action}`, {}, ifMatch());
      toast(okMsg, 'success');
      await afterAction();
    } catch (err) {
      if (err instanceof StaleError || isConflict(err)) { await conflict(); return; }
      toast(errorMessage(err), 'error');
    }
  }

  function btn(testid, label, onclick, cls = 'btn-ghost', ic) {
    return h('button', { type: 'button', class: ['btn', cls], 'data-testid': testid, onclick }, ic ? icon(ic) : null, label);
  }

  async function dialogAction(opts) {
    // Wraps act(): on a stale close, refresh with the conflict message.
    const key = `${id}:${opts.action}`;
    let staleSeen = false;
    const submit0 = opts;
    const res = await formDialogWithStale({ ...submit0, key, onStale: () => { staleSeen = true; } });
    if (staleSeen) { await conflict(); return; }
    if (res === null) return;
    drafts.delete(key);
    toast(opts.okMsg, 'success');
    await afterAction();
  }

  /** Reload after a successful action; a ticket that left the reader's scope (returned, re-assigned) sends them to the list. */
  async function afterAction() {
    try { await reload(); } catch (e) {
      if (e instanceof ApiError && e.status === 404) { navigate(lastList[mode]); return; }
      toast(errorMessage(e), 'error');
    }
  }

  function formDialogWithStale({ action, title, fields, okText, danger, wide, rules, body: makeBody, path, confirm, onOpen, key, onStale }) {
    return formDialog({
      title, fields, okText: okText || title, danger, wide, action, onOpen,
      initial: drafts.get(key),
      onCancel: (form) => { drafts.set(key, formValues(form)); },
      submit: async (form, values) => {
        if (rules) checkFields(values, rules);
        const payload = makeBody ? makeBody(values, form) : {};
        if (confirm && !(await confirmDialog(confirm, { danger: true }))) {
          throw Object.assign(new Error('cancelled'), { silent: true });
        }
        try {
          if (path) {
            await ensureFresh();
            return await api('POST', path, payload);
          }
          return await api('POST', `/tickets/${encodeURIComponent(id)}/${action}`, payload, ifMatch());
        } catch (err) {
          if (err instanceof StaleError || isConflict(err)) {
            drafts.set(key, values);
            onStale();
            throw new StaleError();
          }
          throw err;
        }
      },
    });
  }
  // --- cadre actions
  const canSign = (tk) => isCadre && tk.status === 'assigned' && (isMine(tk, me) || (!tk.assignee_id && tk.department_id === me.department_id));
  const canProgress = (tk) => isCadre && tk.status === 'in_progress' && (isMine(tk, me) || tk.department_id === me.department_id || (tk.co_department_ids || []).includes(me.department_id));
  const canResolve = (tk) => isCadre && tk.status === 'in_progress' && (isMine(tk, me) || tk.department_id === me.department_id);
  const canExtend = (tk) => isCadre && ['assigned', 'in_progress'].includes(tk.status) && (isMine(tk, me) || (!tk.assignee_id && tk.department_id === me.department_id))
    && !extensions.some((x) => x.status === 'pending');

  const doReturn = () => dialogAction({
    action: 'return', title: t('s.d.return.title'), okText: t('s.a.return'), danger: true, okMsg: t('s.ok.return'),
    fields: field(t('s.d.return.reason'), textArea('reason', { max: 2000, testid: 'return-reason', placeholder: t('s.d.return.hint') }), t('s.d.return.hint'), { required: true }),
    rules: { reason: { required: true, max: 2000 } },
    body: (v) => ({ reason: v.reason }),
  });
  const doProgress = () => dialogAction({
    action: 'progress', title: t('s.d.progress.title'), okText: t('common.submit'), okMsg: t('s.ok.progress'),
    fields: [
      field(t('s.d.progress.note'), textArea('note', { max: 2000, testid: 'progress-note' }), null, { required: true }),
      h('div', { class: 'field' }, checkbox('public', t('s.d.progress.public'), { testid: 'progress-public' }), h('div', { class: 'field-hint' }, t('s.d.progress.publicHint'))),
    ],
    rules: { note: { required: true, max: 2000 } },
    body: (v) => ({ note: v.note, public: !!v.public }),
  });
  const doExtend = () => dialogAction({
    action: 'extend', path: `/tickets/${encodeURIComponent(id)}/extensions`, title: t('s.d.extend.title'), okText: t('common.submit'), okMsg: t('s.ok.extend'),
    fields: [
      field(t('s.d.extend.days'), textInput('working_days', { type: 'number', testid: 'extend-days', inputmode: 'numeric', min: '1', maxNum: '30', value: '3' }), t('s.d.extend.daysHint'), { required: true }),
      field(t('s.d.extend.reason'), textArea('reason', { max: 2000, testid: 'extend-reason' }), null, { required: true }),
    ],
    rules: { working_days: { required: true, int: [1, 1000] }, reason: { required: true, max: 2000 } },
    body: (v) => ({ working_days: Number(v.working_days), reason: v.reason }),
  });
  const doResolve = (tk) => dialogAction({
    action: 'resolve', title: t('s.d.resolve.title'), okText: t('s.a.resolve'), okMsg: t('s.ok.resolve'),
    fields: [
      field(t('s.d.resolve.text'), textArea('resolution', { rows: 6, max: 5000, testid: 'resolve-text' }), t('s.d.resolve.hint'), { required: true }),
      tk.kind === 'suggestion' ? field(t('s.d.resolve.adopted'), segmented({ name: 'adopted', value: null, label: t('s.d.resolve.adopted'),
        options: [{ value: 'true', label: t('s.d.resolve.adoptedYes'), testid: 'resolve-adopted-yes' }, { value: 'false', label: t('s.d.resolve.adoptedNo'), testid: 'resolve-adopted-no' }] }), null, { required: true }) : null,
    ],
    rules: { resolution: { required: true, max: 5000 }, ...(tk.kind === 'suggestion' ? { adopted: { required: true } } : {}) },
    body: (v) => (tk.kind === 'suggestion' ? { resolution: v.resolution, adopted: v.adopted === 'true' } : { resolution: v.resolution }),
  });
  const doComment = () => dialogAction({
    action: 'comment', path: `/tickets/${encodeURIComponent(id)}/comments`, title: t('s.d.comment.title'), okText: t('common.submit'), okMsg: t('s.ok.comment'),
    fields: [
      field(t('s.d.comment.body'), textArea('body', { max: 2000, testid: 'comment-body' }), null, { required: true }),
      h('div', { class: 'field' }, checkbox('internal', t('s.d.comment.internal'), { testid: 'comment-internal', checked: true })),
    ],
    rules: { body: { required: true, max: 2000 } },
    body: (v) => ({ body: v.body, internal: !!v.internal }),
  });

  // --- dispatcher actions
  const doAccept = () => dialogAction({
    action: 'accept', title: t('s.d.accept.title'), okText: t('s.a.accept'), okMsg: t('s.ok.accept'),
    fields: field(t('s.d.accept.note'), textArea('note', { rows: 3, max: 2000, testid: 'accept-note' }), t('common.optional')),
    rules: { note: { max: 2000 } },
    body: (v) => (v.note && v.note.trim() ? { note: v.note } : {}),
  });
  const doReject = () => dialogAction({
    action: 'reject', title: t('s.d.reject.title'), okText: t('s.a.reject'), danger: true, okMsg: t('s.ok.reject'),
    fields: field(t('s.d.reject.reason'), textArea('reason', { max: 2000, testid: 'reject-reason' }), t('s.d.reject.hint'), { required: true }),
    rules: { reason: { required: true, max: 2000 } },
    body: (v) => ({ reason: v.reason }),
  });
  const doUrge = () => dialogAction({
    action: 'urge', title: t('s.d.urge.title'), okText: t('s.a.urge'), okMsg: t('s.ok.urge'),
    fields: field(t('s.d.urge.note'), textArea('note', { max: 2000, testid: 'urge-note' }), null, { required: true }),
    rules: { note: { required: true, max: 2000 } },
    body: (v) => ({ note: v.note }),
  });
  const doRevisit = () => {
    const hint = h('div', { class: 'field-hint sf-warn-hint hidden' }, t('s.d.revisit.unsatisfiedHint'));
    return dialogAction({
      action: 'revisit', title: t('s.d.revisit.title'), okText: t('common.submit'), okMsg: t('s.ok.revisit'),
      fields: [
        field(t('s.d.revisit.rating'), segmented({ name: 'rating', value: null, label: t('s.d.revisit.rating'),
          options: ['satisfied', 'basically_satisfied', 'unsatisfied'].map((r) => ({ value: r, label: t(`rating.${r}`), testid: `revisit-rating-${r}` })),
          onChange: (v) => hint.classList.toggle('hidden', v !== 'unsatisfied') }), null, { required: true }),
        hint,
        field(t('s.d.revisit.comment'), textArea('comment', { rows: 3, max: 2000, testid: 'revisit-comment' }), t('common.optional')),
      ],
      rules: { rating: { required: true }, comment: { max: 2000 } },
      body: (v) => (v.comment && v.comment.trim() ? { rating: v.rating, comment: v.comment } : { rating: v.rating }),
    });
  };
  const doClose = () => dialogAction({
    action: 'close', title: t('s.d.close.title'), okText: t('s.a.close'), danger: true, okMsg: t('s.ok.close'),
    fields: field(t('s.d.close.reason'), textArea('reason', { rows: 3, max: 2000, testid: 'close-reason' }), t('s.d.close.hint'), { required: true }),
    rules: { reason: { required: true, max: 2000 } },
    confirm: t('s.d.close.confirm'),
    body: (v) => ({ reason: v.reason }),
  });
  const doApprove = (ext) => dialogAction({
    action: `approve-${ext.id}`, path: `/tickets/${encodeURIComponent(id)}/extensions/${encodeURIComponent(ext.id)}/approve`,
    title: t('s.d.approve.title'), okText: t('s.a.approveExt'), okMsg: t('s.ok.approveExt'),
    fields: [
      h('p', { class: 'sf-dialog-lead' }, t('s.ext.line', { days: ext.working_days }), ext.reason ? ` — ${ext.reason}` : ''),
      field(t('s.d.approve.note'), textArea('note', { rows: 3, max: 2000, testid: 'ext-note' }), t('common.optional')),
    ],
    rules: { note: { max: 2000 } },
    body: (v) => (v.note && v.note.trim() ? { note: v.note } : {}),
  });
  const doDeny = (ext) => dialogAction({
    action: `deny-${ext.id}`, path: `/tickets/${encodeURIComponent(id)}/extensions/${encodeURIComponent(ext.id)}/deny`,
    title: t('s.d.deny.title'), okText: t('s.a.denyExt'), danger: true, okMsg: t('s.ok.denyExt'),
    fields: [
      h('p', { class: 'sf-dialog-lead' }, t('s.ext.line', { days: ext.working_days }), ext.reason ? ` — ${ext.reason}` : ''),
      field(t('s.d.deny.reason'), textArea('reason', { rows: 3, max: 2000, testid: 'ext-deny-reason' }), null, { required: true }),
    ],
    rules: { reason: { required: true, max: 2000 } },
    body: (v) => ({ reason: v.reason }),
  });

  async function doAssign(tk, data) {
    const depts = data.depts;
    const category = data.category;
    const deptSel = selectInput('department_id', deptSelectOptions(depts, { placeholder: t('s.d.assign.deptPick'),
      selected: tk.department_id || (category && category.default_department_id) || '' }), { testid: 'assign-department' });
    const cadreSel = selectInput('assignee_id', [h('option', { value: '' }, t('s.d.assign.cadreNone'))], { testid: 'assign-cadre' });
    const cadreHint = h('span', { class: 'muted' }, '');
    const coBox = h('div', { class: 'sf-checks', 'data-field': 'co_department_ids', 'data-testid': 'assign-co-departments' },
      deptTree(depts).map(({ dept, depth }) => h('label', { class: ['sf-check', depth && 'sf-indent'] },
        h('input', { type: 'checkbox', name: 'co_department_ids', value: dept.id, 'data-multi': '1', 'data-testid': 'assign-co',
          checked: (tk.co_department_ids || []).includes(dept.id) }),
        h('span', null, dept.name))));
    const preview = h('div', { class: 'sf-preview', 'data-testid': 'assign-deadline-preview', 'aria-live': 'polite' });
    const dateInput = textInput('due_date', { type: 'date', testid: 'assign-due-date', min: todayCN() });
    const dateField = field(t('s.d.assign.dueDateLabel'), dateInput, null, { cls: 'hidden' });
    let priority = tk.priority || 'normal';
    let dueMode = 'default';
    let seq = 0;

    async function loadCadres(form, keep) {
      const deptId = deptSel.value;
      const my = ++seq;
      cadreSel.replaceChildren(h('option', { value: '' }, t('s.d.assign.cadreNone')));
      cadreHint.textContent = '';
      // The lead department cannot be a co-department too.
      coBox.querySelectorAll('input').forEach((c) => {
        const lead = c.value === deptId;
        c.disabled = lead;
        if (lead) c.checked = false;
        c.closest('label').classList.toggle('is-disabled', lead);
      });
      if (!deptId) return;
      cadreSel.disabled = true;
      cadreHint.textContent = t('s.d.assign.cadreLoading');
      try {
        const list = await directory.cadres(deptId);
        if (my !== seq) return;
        for (const u of list) cadreSel.appendChild(h('option', { value: u.id, selected: keep && u.id === keep }, u.phone ? `${u.name}（${u.phone}）` : u.name));
        cadreHint.textContent = list.length ? '' : t('s.d.assign.cadreEmpty');
      } catch (err) {
        if (my === seq) cadreHint.textContent = t('s.d.assign.cadreFailed');
      } finally {
        if (my === seq) cadreSel.disabled = false;
      }
    }

    let pseq = 0;
    async function updatePreview() {
      const my = ++pseq;
      preview.classList.remove('is-warn');
      if (priority === 'urgent') { preview.textContent = t('s.d.assign.previewUrgent'); return; }
      if (dueMode === 'date') {
        preview.textContent = dateInput.value ? t('s.d.assign.previewDate', { date: dateInput.value }) : '';
        return;
      }
      const days = category && category.deadline_days;
      if (!days) { preview.textContent = ''; return; }
      preview.textContent = t('s.d.assign.previewLoading');
      try {
        const r = await api('GET', '/calendar/add', null, { query: { start: new Date().toISOString(), days } });
        if (my !== pseq) return;
        const parts = [t('s.d.assign.preview', { date: r.date || fmtDate(r.deadline), days })];
        if (r.unknown_years && r.unknown_years.length) { parts.push(`（${t('s.d.assign.unknownYears', { years: r.unknown_years.join('、') })}）`); preview.classList.add('is-warn'); }
        preview.textContent = parts.join('');
      } catch {
        if (my === pseq) preview.textContent = t('s.d.assign.previewFailed');
      }
    }

    const prioritySeg = segmented({ name: 'priority', value: priority, label: t('s.d.assign.priority'),
      options: [{ value: 'normal', label: t('priority.normal'), testid: 'assign-priority-normal' }, { value: 'urgent', label: t('priority.urgent'), testid: 'assign-priority-urgent' }],
      onChange: (v) => { priority = v; dueModeField.classList.toggle('hidden', v === 'urgent'); dateField.classList.toggle('hidden', v === 'urgent' || dueMode !== 'date'); updatePreview(); } });
    const dueModeSeg = segmented({ name: 'due_mode', value: 'default', label: t('s.d.assign.dueMode'),
      options: [{ value: 'default', label: category ? `${t('s.d.assign.dueDefault')}（${category.deadline_days}）` : t('s.d.assign.dueDefault'), testid: 'assign-due-mode-default' },
        { value: 'date', label: t('s.d.assign.dueDate'), testid: 'assign-due-mode-date' }],
      onChange: (v) => { dueMode = v; dateField.classList.toggle('hidden', v !== 'date'); updatePreview(); } });
    const dueModeField = field(t('s.d.assign.dueMode'), dueModeSeg, null, { cls: priority === 'urgent' ? 'hidden' : null });
    if (priority === 'urgent') dateField.classList.add('hidden');
    dateInput.addEventListener('change', updatePreview);
    const cadreField = field(t('s.d.assign.cadre'), cadreSel, cadreHint);

    const key = `${id}:assign`;
    let staleSeen = false;
    const res = await formDialog({
      title: tk.department_id ? t('s.a.reassign') : t('s.d.assign.title'), okText: tk.department_id ? t('s.a.reassign') : t('s.a.assign'),
      wide: true, action: 'assign',
      fields: [
        category ? h('p', { class: 'sf-dialog-lead' }, `${t('s.f.category')}：${category.name}`) : null,
        field(t('s.d.assign.dept'), deptSel, null, { required: true }),
        cadreField,
        field(t('s.d.assign.co'), coBox, t('s.d.assign.coHint')),
        field(t('s.d.assign.priority'), prioritySeg),
        dueModeField,
        dateField,
        preview,
      ],
      onOpen: (form) => {
        form.querySelector('[data-testid="dialog-ok"]').setAttribute('data-testid', 'assign-submit');
        deptSel.addEventListener('change', () => loadCadres(form));
        loadCadres(form, tk.assignee_id);
        updatePreview();
      },
      submit: async (form, v) => {
        const errs = {};
        if (!v.department_id) errs.department_id = t('s.pickOne');
        const co = (v.co_department_ids || []).filter((x) => x !== v.department_id);
        if (co.length > 10) errs.co_department_ids = t('s.d.assign.coMax');
        let dueAt;
        if (priority !== 'urgent' && dueMode === 'date') {
          if (!v.due_date) errs.due_date = t('s.required');
          else if (v.due_date < todayCN()) errs.due_date = t('s.d.assign.dueDatePast');
          else dueAt = `${v.due_date}T23:59:59.999+08:00`;
        }
        if (Object.keys(errs).length) throw localError(errs);
        const payload = { department_id: v.department_id, co_department_ids: co, priority };
        if (v.assignee_id) payload.assignee_id = v.assignee_id;
        if (dueAt) payload.due_at = dueAt;
        try {
          return await api('POST', `/tickets/${encodeURIComponent(id)}/assign`, payload, ifMatch());
        } catch (err) {
          if (err instanceof StaleError || isConflict(err)) { staleSeen = true; throw new StaleError(); }
          if (err instanceof ApiError && err.fields && err.fields.due_at) err.fields.due_date = err.fields.due_at;
          throw err;
        }
      },
    });
    if (staleSeen) { await conflict(); return; }
    if (res === null) return;
    drafts.delete(key);
    toast(t('s.ok.assign'), 'success');
    await afterAction();
  }

  function draw(data) {
    const { tk, ex, depts, category, enterprise, users } = data;
    ticket = tk;
    extensions = ex;
    const dn = nameMap(depts);
    const userName = (uid) => (uid === me.id ? `${users.get(uid) || ''}（${t('s.me')}）` : users.get(uid));

    const due = tk.due_at ? fmtDue(tk.due_at) : null;
    const openStatus = ['assigned', 'in_progress'].includes(tk.status);
    const dueValue = tk.due_at ? h('span', null, fmtDateTime(tk.due_at), openStatus && due ? h('span', { class: ['due', 'sf-due-inline', due.cls] }, due.text) : null) : null;
    const assigneeValue = tk.assignee_id ? (userName(tk.assignee_id) || h('span', { class: 'muted' }, t('role.cadre'))) : (tk.department_id ? h('span', { class: 'muted' }, t('s.noAssignee')) : null);

    const head = h('section', { class: ['card', 'sf-head', tk.overdue && 'is-overdue'] },
      h('div', { class: 'sf-head-top' },
        h('span', { class: 'sf-card-no', 'data-testid': 'ticket-number' }, tk.number),
        h('span', { class: 'sf-card-tags', 'data-testid': 'ticket-status', 'data-status': tk.status },
          tk.priority === 'urgent' ? h('span', { class: 'tag tag-urgent' }, t('s.urgent')) : null,
          kindTag(tk.kind), statusTag(tk.status))),
      h('h2', { class: 'sf-head-title', 'data-testid': 'ticket-title' }, tk.title),
      h('dl', { class: 'sf-kvs' },
        kv(t('s.f.category'), category ? category.name : null),
        kv(t('s.f.channel'), t(`channel.${tk.channel}`)),
        kv(t('s.f.createdAt'), fmtDateTime(tk.created_at)),
        kv(t('s.f.department'), tk.department_id ? (dn.get(tk.department_id) || '—') : null, 'ticket-department'),
        kv(t('s.f.coDepartments'), (tk.co_department_ids || []).length ? tk.co_department_ids.map((d) => dn.get(d) || '—').join('、') : null),
        kv(t('s.f.assignee'), assigneeValue, 'ticket-assignee'),
        kv(t('s.f.due'), dueValue, 'ticket-due'),
        kv(t('s.f.signDue'), tk.status === 'assigned' && tk.sign_due_at ? fmtDateTime(tk.sign_due_at) : null),
        kv(t('s.f.extensions'), tk.extension_count ? String(tk.extension_count) : null),
        kv(t('s.f.escalation'), tk.escalation_level ? h('span', { class: 'tag tag-warn' }, t('s.escalated', { level: tk.escalation_level })) : null),
        kv(t('s.f.reopen'), tk.reopen_count ? String(tk.reopen_count) : null),
        kv(t('s.f.rating'), ratingTag(tk.rating))));

    const desc = h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, t('s.sec.description')),
      h('div', { class: 'sf-text', 'data-testid': 'ticket-description' }, tk.description),
      attachmentsView((tk.attachments || []).filter((a) => !a.comment_id)));

    const entKvs = (e) => h('dl', { class: 'sf-kvs' },
      kv(t('s.f.creditCode'), e.credit_code),
      kv(t('s.f.chain'), e.industry_chain),
      kv(t('s.f.area'), e.area),
      kv(t('s.f.address'), e.address),
      e.liaison_cadre_id ? kv(t('s.f.liaison'), userName(e.liaison_cadre_id) || t('role.cadre')) : null);
    // A cadre's "more info": the record is read on the first opening (null → not visible to this cadre).
    const lazyEntMore = (entId) => {
      const slot = h('div', { class: 'sf-more-body' }, loading());
      let asked = false;
      return h('details', {
        class: 'sf-more-info', 'data-testid': 'enterprise-more',
        ontoggle: (ev) => {
          if (!ev.currentTarget.open || asked) return;
          asked = true;
          directory.enterprise(entId).then(
            (e) => slot.replaceChildren(e ? entKvs(e) : h('div', { class: 'muted sf-small' }, t('s.notShown'))),
            (err) => { asked = false; slot.replaceChildren(h('div', { class: 'muted sf-small' }, errorMessage(err))); });
        },
      }, h('summary', null, t('s.moreInfo')), slot);
    };
    const phone = tk.contact_phone || (enterprise && enterprise.contact_phone);
    const contactName = tk.contact_name || (enterprise && enterprise.contact_name);
    const entCard = h('section', { class: 'card sf-ent' },
      h('h3', { class: 'card-title' }, t('s.sec.enterprise')),
      h('dl', { class: 'sf-kvs' },
        kv(t('s.f.enterprise'), tk.enterprise_name || (enterprise && enterprise.name) || null, 'enterprise-name'),
        kv(t('s.f.contact'), contactName, 'contact-name'),
        kv(t('s.f.phone'), phone ? h('span', { 'data-testid': 'contact-phone' }, phone) : null)),
      enterprise ? h('details', { class: 'sf-more-info', 'data-testid': 'enterprise-more' },
        h('summary', null, t('s.moreInfo')),
        entKvs(enterprise)) : null,
      !enterprise && isCadre && tk.enterprise_id ? lazyEntMore(tk.enterprise_id) : null,
      phone ? h('a', { class: 'btn btn-primary btn-block sf-call', href: telHref(phone), 'data-testid': 'contact-call', 'aria-label': t('s.call', { phone }) }, icon('phone'), t('s.call', { phone })) : null,
      !enterprise && !isCadre ? h('div', { class: 'muted sf-small' }, t('s.notShown')) : null);

    const resCard = tk.resolution ? h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, tk.status === 'in_progress' && tk.reopen_count ? t('s.sec.lastResolution') : t('s.sec.resolution')),
      h('div', { class: 'sf-text', 'data-testid': 'ticket-resolution' }, tk.resolution),
      tk.kind === 'suggestion' && tk.adopted !== null && tk.adopted !== undefined
        ? h('div', { class: 'sf-adopted' }, `${t('s.f.adopted')}：${tk.adopted ? t('s.yes') : t('s.no')}`) : null) : null;

    const extCard = ex.length ? h('section', { class: 'card', 'data-testid': 'extensions' },
      h('h3', { class: 'card-title' }, t('s.sec.extensions')),
      h('ul', { class: 'sf-exts' }, ex.slice().reverse().map((x) => h('li', { class: 'sf-ext', 'data-testid': 'extension-item', 'data-status': x.status },
        h('div', { class: 'sf-ext-top' }, h('strong', null, t('s.ext.line', { days: x.working_days })), extStatusTag(x.status)),
        x.reason ? h('div', { class: 'sf-text' }, x.reason) : null,
        h('div', { class: 'muted sf-small' }, t('s.ext.by', { time: fmtDateTime(x.created_at) }), x.requested_by && users.get(x.requested_by) ? ` · ${users.get(x.requested_by)}` : ''),
        x.due_before && x.due_after && x.status === 'approved' ? h('div', { class: 'muted sf-small' }, t('s.ext.due', { before: fmtDate(x.due_before), after: fmtDate(x.due_after) }))
          : x.due_before ? h('div', { class: 'muted sf-small' }, t('s.ext.dueNow', { before: fmtDate(x.due_before) })) : null,
        x.decision_reason ? h('div', { class: 'sf-small' }, t('s.ext.decision', { text: x.decision_reason })) : null,
        isStaffDesk && x.status === 'pending' ? h('div', { class: 'btn-row' },
          btn('action-approve-ext', t('s.a.approveExt'), () => doApprove(x), 'btn-primary btn-small', 'check'),
          btn('action-deny-ext', t('s.a.denyExt'), () => doDeny(x), 'btn-ghost btn-small', 'close')) : null)))) : null;

    const tlCard = h('section', { class: 'card' },
      h('h3', { class: 'card-title' }, t('s.sec.timeline')),
      timeline(tk.events || [], { comments: tk.comments || [], attachments: tk.attachments || [], deptName: (d) => dn.get(d), userName: (u) => userName(u) }));

    // Actions
    const acts = [];
    if (isCadre) {
      if (canSign(tk)) {
        acts.push(btn('action-sign', t('s.a.sign'), () => simple('sign', t('s.ok.sign'), t('s.confirm.sign')), 'btn-primary', 'check'));
        acts.push(btn('action-return', t('s.a.return'), doReturn, 'btn-ghost'));
      }
      if (canResolve(tk)) acts.push(btn('action-resolve', t('s.a.resolve'), () => doResolve(tk), 'btn-primary', 'check'));
      if (canProgress(tk)) acts.push(btn('action-progress', t('s.a.progress'), doProgress, 'btn-ghost'));
      if (canExtend(tk)) acts.push(btn('action-extend', t('s.a.extend'), doExtend, 'btn-ghost', 'clock'));
    } else {
      if (tk.status === 'submitted') {
        acts.push(btn('action-accept', t('s.a.accept'), doAccept, 'btn-primary', 'check'));
        acts.push(btn('action-assign', t('s.a.assign'), () => doAssign(tk, data), 'btn-ghost'));
        acts.push(btn('action-reject', t('s.a.reject'), doReject, 'btn-ghost btn-danger-text'));
      } else if (tk.status === 'accepted') {
        acts.push(btn('action-assign', t('s.a.assign'), () => doAssign(tk, data), 'btn-primary'));
      } else if (openStatus) {
        acts.push(btn('action-urge', t('s.a.urge'), doUrge, 'btn-primary', 'bell'));
        acts.push(btn('action-assign', t('s.a.reassign'), () => doAssign(tk, data), 'btn-ghost'));
      } else if (tk.status === 'resolved') {
        if (me.role === 'dispatcher') acts.push(btn('action-revisit', t('s.a.revisit'), doRevisit, 'btn-primary', 'phone'));
        acts.push(btn('action-close', t('s.a.close'), doClose, me.role === 'dispatcher' ? 'btn-ghost' : 'btn-primary'));
      }
    }
    acts.push(btn('action-comment', t('s.a.comment'), doComment, 'btn-ghost'));
    actionBar.replaceChildren(...acts);
    actionBar.classList.toggle('sf-actionbar-many', acts.length > 2);

    body.replaceChildren(
      h('div', { class: 'sf-detail-head' }, head),
      h('aside', { class: 'sf-detail-side' }, entCard, actionBar),
      h('div', { class: 'sf-detail-main' }, desc, resCard, extCard, tlCard));
  }

  await reload(false);

  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), 'data-testid': 'detail-refresh',
    onclick: () => reload().catch((e) => toast(errorMessage(e), 'error')) }, icon('refresh'));
  return page({ title: t('s.detail.title'), back: () => navigate(lastList[mode]), actions: refreshBtn, body, wide: true, className: 'sf-page sf-detailpage' });
}

// ---------------------------------------------------------------------------------------------
// Routes

export function register() {
  setTabs('cadre', [
    { hash: '#/c', label: 's.tab.workbench', icon: 'list', testid: 'tabbar-workbench' },
    { hash: '#/c/me', label: 's.tab.me', icon: 'user', testid: 'tabbar-me' },
  ]);
  setTabs('dispatcher', [
    { hash: '#/d', label: 's.tab.queue', icon: 'list', testid: 'tabbar-queue' },
    { hash: '#/d/me', label: 's.tab.me', icon: 'user', testid: 'tabbar-me' },
  ]);
  route('#/c', (p, q) => listPage({ mode: 'cadre', query: q }), { roles: ['cadre'] });
  route('#/c/tickets/:id', (p) => detailPage({ id: p.id, mode: 'cadre' }), { roles: ['cadre'] });
  route('#/c/me', () => mePage(false), { roles: ['cadre'] });
  route('#/d', (p, q) => listPage({ mode: 'dispatch', query: q }), { roles: ['dispatcher', 'admin'] });
  route('#/d/tickets/:id', (p) => detailPage({ id: p.id, mode: 'dispatch' }), { roles: ['dispatcher', 'admin'] });
  route('#/d/me', () => mePage(false), { roles: ['dispatcher'] });
}
