// admin.js — the administrator's console (#/a): dashboard, directory management, calendar, notification outbox.
// Desktop large screen first (side menu from app.css's .page.wide), still usable on a phone (bottom tab bar + hub).
//
// ROUTES
//   #/a                      dashboard (?from=YYYY-MM-DD&to=YYYY-MM-DD, `to` inclusive in the UI; &interval=day|week|month)
//   #/a/manage               hub of the management pages (phones)
//   #/a/departments  #/a/users  #/a/enterprises  #/a/enterprises/import  #/a/categories
//   #/a/calendar  #/a/calendar/:year  #/a/notifications  #/a/me
//
// DATA-TESTIDS (stable, for the E2E tests)
//   menu:        nav-dashboard nav-tickets nav-manage nav-departments nav-users nav-enterprises nav-categories nav-calendar
//                nav-notifications nav-me
//   dashboard:   date-from date-to range-this-month range-last-month range-this-year period-error chart-interval
//                kpi-filed kpi-accepted kpi-resolved kpi-resolution kpi-on-time kpi-satisfaction kpi-revisit kpi-reopen
//                kpi-sign-on-time kpi-adoption kpi-overdue kpi-handling-days  (each card; its value: <testid>-value)
//                chart-trend chart-departments chart-categories chart-satisfaction (each <img> container; img inside)
//                ranking-best ranking-worst (tables) ranking-row
//                download-ledger (xlsx) download-ledger-csv assessment-month download-assessment
//   tables:      departments-table departments-row users-table users-row enterprises-table enterprises-row
//                categories-table categories-row (rows carry data-id); load-more / list-end (from staff.js pagedList)
//   phone hub:   the nav-* testids again, as cards
//   departments: dept-create dept-edit dept-name dept-parent dept-head
//   users:       user-create user-edit user-disable user-enable user-role-filter user-status-filter user-search
//                user-username user-password user-name user-phone user-email user-role user-department
//                user-enterprise-search user-enterprise user-notify-email user-notify-sms
//   enterprises: ent-create ent-edit ent-search ent-import ent-name ent-credit-code ent-chain ent-area ent-address
//                ent-contact-name ent-contact-phone ent-liaison
//   import:      import-template import-file import-dry-run import-submit import-summary import-errors import-error-row
//   categories:  cat-create cat-edit cat-disable cat-enable cat-name cat-department cat-deadline-days
//   calendar:    calendar-years calendar-row (data-year) calendar-missing calendar-view (per year) calendar-upload calendar-year
//                calendar-toml-input calendar-file calendar-parse calendar-preview calendar-save calendar-toml
//                calendar-holidays
//   outbox:      notif-count-total notif-count-pending notif-count-sending notif-count-sent notif-count-failed
//                notif-status (select) notif-channel notif-event notif-refresh notif-table notif-row (data-status) notif-retry notif-view
//   dialogs:     form-dialog dialog-ok dialog-cancel form-error (from staff.js formDialog)

import {
  h, icon, t, addStrings, api, ApiError, errorMessage, blobUrl, download, route, navigate, page, toast, confirmDialog,
  field, showFieldErrors, clearFieldErrors, loading, empty, errorState, fmtDateTime, setTabs, session, currentHash,
} from './core.js';
import {
  directory, invalidate, fetchAll, deptTree, deptSelectOptions, nameMap, localError, checkFields, formDialog, textInput,
  selectInput, checkbox, pagedList, setHashQuery, todayCN, addDays, pct, mePage, zhMsg,
} from './staff.js';

addStrings({
  'a.title': '管理后台',
  'a.nav.dashboard': '数据看板',
  'a.nav.tickets': '诉求受理',
  'a.nav.manage': '管理',
  'a.nav.departments': '责任单位',
  'a.nav.users': '用户账号',
  'a.nav.enterprises': '企业档案',
  'a.nav.categories': '诉求类别',
  'a.nav.calendar': '节假日日历',
  'a.nav.notifications': '消息通知',
  'a.nav.me': '我的',
  'a.hub.departments': '部门、专班与负责人',
  'a.hub.users': '干部、受理员、企业账号',
  'a.hub.enterprises': '企业名录与台账导入',
  'a.hub.categories': '类别、默认单位与办理时限',
  'a.hub.calendar': '法定节假日与调休',
  'a.hub.notifications': '短信、邮件发送情况',
  'a.dash.title': '数据看板',
  'a.dash.from': '开始日期',
  'a.dash.to': '结束日期（含）',
  'a.dash.thisMonth': '本月',
  'a.dash.lastMonth': '上月',
  'a.dash.thisYear': '本年',
  'a.dash.interval': '趋势粒度',
  'a.dash.day': '按日',
  'a.dash.week': '按周',
  'a.dash.month': '按月',
  'a.dash.badRange': '结束日期不能早于开始日期',
  'a.dash.tooLong': '统计区间最长十年',
  'a.dash.period': '统计 {from} 至 {to} 提交的诉求',
  'a.dash.noData': '无数据',
  'a.kpi.filed': '诉求总数',
  'a.kpi.filedSub': '问题 {p} · 建议 {s} · 咨询 {i}',
  'a.kpi.accepted': '已受理',
  'a.kpi.acceptedSub': '不含待受理、不予受理、撤回',
  'a.kpi.resolved': '已办结',
  'a.kpi.resolvedSub': '含已销号',
  'a.kpi.resolution': '办结率',
  'a.kpi.resolutionSub': '办结 {a} / 受理 {b}',
  'a.kpi.onTime': '按时办结率',
  'a.kpi.onTimeSub': '按时 {a} / 有期限 {b}',
  'a.kpi.satisfaction': '满意率',
  'a.kpi.satisfactionSub': '满意 {a} + 基本满意 {b} / 评价 {c}',
  'a.kpi.revisit': '回访率',
  'a.kpi.revisitSub': '评价 {a} / 办结 {b}',
  'a.kpi.reopen': '重办率',
  'a.kpi.reopenSub': '重办 {a} / 办结 {b}',
  'a.kpi.signOnTime': '按时签收率',
  'a.kpi.signOnTimeSub': '按时 {a} / 应签收 {b}',
  'a.kpi.adoption': '建议采纳率',
  'a.kpi.adoptionSub': '采纳 {a} / 建议 {b}',
  'a.kpi.overdue': '超期未办结',
  'a.kpi.overdueSub': '正在办理且已过期限',
  'a.kpi.handling': '平均办理工作日',
  'a.kpi.handlingSub': '中位数 {m}',
  'a.chart.trend': '受理与办结趋势',
  'a.chart.departments': '承办单位办理情况',
  'a.chart.categories': '诉求类别分布',
  'a.chart.satisfaction': '回访满意度',
  'a.chart.failed': '图表加载失败',
  'a.rank.best': '红榜',
  'a.rank.worst': '黑榜',
  'a.rank.no': '名次',
  'a.rank.dept': '承办单位',
  'a.rank.score': '综合得分',
  'a.rank.filed': '诉求数',
  'a.rank.ranked': '共 {n} 个单位参与排名',
  'a.rank.empty': '该期间没有可排名的单位',
  'a.dl.title': '台账与考核',
  'a.dl.ledgerXlsx': '导出台账 Excel',
  'a.dl.ledgerCsv': '导出台账 CSV',
  'a.dl.month': '考核月份',
  'a.dl.assessment': '下载月度考核表',
  'a.dl.hint': '台账按所选期间的提交时间导出',
  'a.dl.started': '正在生成文件，请稍候…',
  'a.dl.done': '已开始下载',
  'a.common.create': '新建',
  'a.common.edit': '编辑',
  'a.common.disable': '停用',
  'a.common.enable': '启用',
  'a.common.actions': '操作',
  'a.common.status': '状态',
  'a.common.active': '启用',
  'a.common.disabled': '已停用',
  'a.common.all': '全部',
  'a.common.none': '无',
  'a.common.saved': '已保存',
  'a.common.created': '已创建',
  'a.common.search': '搜索',
  'a.common.count': '共 {n} 条',
  'a.dept.title': '责任单位',
  'a.dept.name': '单位名称',
  'a.dept.parent': '上级单位 / 专班',
  'a.dept.head': '负责人',
  'a.dept.noParent': '无（顶级单位）',
  'a.dept.noHead': '未设置',
  'a.dept.create': '新建单位',
  'a.dept.edit': '编辑单位',
  'a.dept.hint': '专班可建成上级单位，成员单位选择它作为上级。负责人须为干部账号。',
  'a.dept.empty': '还没有责任单位',
  'a.user.title': '用户账号',
  'a.user.username': '登录账号',
  'a.user.usernameHint': '3–64 位字母、数字或 _ . @ -',
  'a.user.password': '登录密码',
  'a.user.passwordHint': '8–128 位',
  'a.user.newPassword': '重置密码',
  'a.user.newPasswordHint': '留空则不修改；修改后该用户需重新登录',
  'a.user.name': '姓名',
  'a.user.phone': '手机号',
  'a.user.email': '邮箱',
  'a.user.role': '角色',
  'a.user.department': '所在单位',
  'a.user.enterprise': '所属企业',
  'a.user.enterpriseSearch': '输入企业名称或信用代码搜索',
  'a.user.enterprisePick': '请选择企业',
  'a.user.notifyEmail': '接收邮件通知',
  'a.user.notifySms': '接收短信通知',
  'a.user.org': '单位 / 企业',
  'a.user.allRoles': '全部角色',
  'a.user.statusActive': '启用中',
  'a.user.statusDisabled': '已停用',
  'a.user.statusAll': '全部状态',
  'a.user.create': '新建用户',
  'a.user.edit': '编辑用户',
  'a.user.disableConfirm': '停用后 {name} 将无法登录，已登录的会话将在 15 分钟内失效。确认停用？',
  'a.user.disabledOk': '已停用',
  'a.user.enabledOk': '已启用',
  'a.user.empty': '没有符合条件的用户',
  'a.ent.title': '企业档案',
  'a.ent.name': '企业名称',
  'a.ent.creditCode': '统一社会信用代码',
  'a.ent.creditHint': '18 位，末位为校验码',
  'a.ent.chain': '产业链',
  'a.ent.area': '所在区域',
  'a.ent.address': '地址',
  'a.ent.contactName': '联系人',
  'a.ent.contactPhone': '联系电话',
  'a.ent.contactPhoneHint': '手机或带区号的座机',
  'a.ent.liaison': '联点干部',
  'a.ent.noLiaison': '未设置',
  'a.ent.create': '新建企业',
  'a.ent.edit': '编辑企业',
  'a.ent.search': '企业名称或信用代码',
  'a.ent.import': '从台账导入',
  'a.ent.empty': '没有符合条件的企业',
  'a.imp.title': '从 Excel 台账导入企业',
  'a.imp.step1': '下载导入模板',
  'a.imp.step1Hint': '列：企业名称、统一社会信用代码、产业链、所在区域、地址、联系人、联系电话、联络干部（干部账号或手机号）。信用代码已存在的企业将被更新。',
  'a.imp.template': '下载模板',
  'a.imp.step2': '选择填写好的 .xlsx 文件',
  'a.imp.pick': '选择文件',
  'a.imp.noFile': '未选择文件',
  'a.imp.step3': '先校验，再导入',
  'a.imp.step3Hint': '校验不会写入任何数据；有错误时整个文件都不会导入。',
  'a.imp.dryRun': '校验文件',
  'a.imp.submit': '确认导入',
  'a.imp.checking': '正在校验…',
  'a.imp.importing': '正在导入…',
  'a.imp.dryOk': '校验通过：将新增 {c} 家企业，更新 {u} 家企业。',
  'a.imp.done': '导入完成：新增 {c} 家，更新 {u} 家。',
  'a.imp.rejected': '文件有 {n} 处错误，未导入任何数据。请修改后重新校验。',
  'a.imp.row': '行号',
  'a.imp.column': '列',
  'a.imp.message': '问题',
  'a.imp.needXlsx': '请选择 .xlsx 格式的文件',
  'a.imp.confirm': '确认导入？将新增 {c} 家、更新 {u} 家企业。',
  'a.cat.title': '诉求类别',
  'a.cat.name': '类别名称',
  'a.cat.department': '默认承办单位',
  'a.cat.noDepartment': '不设置',
  'a.cat.days': '办理时限（工作日）',
  'a.cat.daysShort': '时限',
  'a.cat.daysUnit': '{n} 个工作日',
  'a.cat.daysHint': '1–365；派单未指定期限时按此计算',
  'a.cat.create': '新建类别',
  'a.cat.edit': '编辑类别',
  'a.cat.disableConfirm': '停用后企业将不能再选择“{name}”提交诉求，已有诉求不受影响。确认停用？',
  'a.cat.empty': '还没有诉求类别',
  'a.cal.title': '节假日日历',
  'a.cal.year': '年份',
  'a.cal.source': '来源',
  'a.cal.holidays': '节假日',
  'a.cal.src.built_in': '内置',
  'a.cal.src.file': '配置文件',
  'a.cal.src.database': '后台上传',
  'a.cal.missing': '{years} 年尚无节假日数据，期限将按周一至周五计算。请在国务院办公厅发布通知后及时上传。',
  'a.cal.view': '查看',
  'a.cal.upload': '上传年度日历',
  'a.cal.uploadTitle': '上传 / 替换年度日历',
  'a.cal.uploadHint': '按 TOML 格式填写（参考已有年份），或选择 .toml 文件。保存后立即替换该年份的日历，所有实例生效；已设定的期限不会重新计算。',
  'a.cal.toml': '日历文件（TOML）',
  'a.cal.pickFile': '选择 .toml 文件',
  'a.cal.parse': '解析预览',
  'a.cal.save': '保存',
  'a.cal.saved': '{year} 年日历已保存',
  'a.cal.parseError': '第 {line} 行：{msg}',
  'a.cal.parseEmpty': '没有找到任何 [[holidays]]',
  'a.cal.yearMismatch': '文件中的 year 与所填年份不一致',
  'a.cal.h.name': '名称',
  'a.cal.h.from': '放假开始',
  'a.cal.h.to': '放假结束',
  'a.cal.h.days': '天数',
  'a.cal.h.workdays': '调休上班',
  'a.cal.yearTitle': '{year} 年节假日',
  'a.cal.replace': '替换该年',
  'a.cal.fileTitle': '日历文件',
  'a.cal.notFound': '没有 {year} 年的日历数据',
  'a.cal.confirm': '保存后将替换 {year} 年的节假日安排（{n} 个节假日）。确认保存？',
  'a.ntf.title': '消息通知',
  'a.ntf.total': '全部',
  'a.ntf.st.pending': '待发送',
  'a.ntf.st.sending': '发送中',
  'a.ntf.st.sent': '已发送',
  'a.ntf.st.failed': '发送失败',
  'a.ntf.ch.email': '邮件',
  'a.ntf.ch.sms': '短信',
  'a.ntf.allChannels': '全部渠道',
  'a.ntf.allEvents': '全部事件',
  'a.ntf.allStatus': '全部状态',
  'a.ntf.ev.ticket_filed': '新诉求',
  'a.ntf.ev.ticket_assigned': '派单',
  'a.ntf.ev.ticket_returned': '退回',
  'a.ntf.ev.ticket_urged': '督办/催办',
  'a.ntf.ev.ticket_resolved': '办结',
  'a.ntf.ev.ticket_reopened': '重办',
  'a.ntf.ev.ticket_rejected': '不予受理',
  'a.ntf.ev.sms_code': '短信验证码',
  'a.ntf.time': '时间',
  'a.ntf.channel': '渠道',
  'a.ntf.recipient': '接收人',
  'a.ntf.event': '事件',
  'a.ntf.content': '内容',
  'a.ntf.attempts': '尝试',
  'a.ntf.error': '错误',
  'a.ntf.retry': '重发',
  'a.ntf.retried': '已重新排入发送队列',
  'a.ntf.view': '详情',
  'a.ntf.detail': '通知详情',
  'a.ntf.subject': '主题',
  'a.ntf.body': '正文',
  'a.ntf.sentAt': '发送时间',
  'a.ntf.next': '下次尝试',
  'a.ntf.provider': '服务商消息号',
  'a.ntf.ticket': '相关诉求',
  'a.ntf.empty': '没有符合条件的通知',
  'a.ntf.countsFailed': '数量加载失败',
}, {
  'a.title': 'Administration',
  'a.nav.dashboard': 'Dashboard',
  'a.nav.tickets': 'Tickets',
  'a.nav.manage': 'Manage',
  'a.nav.departments': 'Departments',
  'a.nav.users': 'Users',
  'a.nav.enterprises': 'Enterprises',
  'a.nav.categories': 'Categories',
  'a.nav.calendar': 'Holiday calendar',
  'a.nav.notifications': 'Notifications',
  'a.nav.me': 'Me',
  'a.hub.departments': 'Departments, task forces and heads',
  'a.hub.users': 'Cadres, dispatchers, enterprise users',
  'a.hub.enterprises': 'Enterprise records and ledger import',
  'a.hub.categories': 'Categories, default department, deadlines',
  'a.hub.calendar': 'Public holidays and make-up days',
  'a.hub.notifications': 'SMS and e-mail delivery',
  'a.dash.title': 'Dashboard',
  'a.dash.from': 'From',
  'a.dash.to': 'To (inclusive)',
  'a.dash.thisMonth': 'This month',
  'a.dash.lastMonth': 'Last month',
  'a.dash.thisYear': 'This year',
  'a.dash.interval': 'Trend by',
  'a.dash.day': 'Day',
  'a.dash.week': 'Week',
  'a.dash.month': 'Month',
  'a.dash.badRange': 'The end is before the start',
  'a.dash.tooLong': 'At most ten years',
  'a.dash.period': 'Tickets filed from {from} to {to}',
  'a.dash.noData': 'No data',
  'a.kpi.filed': 'Filed',
  'a.kpi.filedSub': 'Problems {p} · Suggestions {s} · Inquiries {i}',
  'a.kpi.accepted': 'Accepted',
  'a.kpi.acceptedSub': 'Not waiting, rejected or withdrawn',
  'a.kpi.resolved': 'Resolved',
  'a.kpi.resolvedSub': 'Closed included',
  'a.kpi.resolution': 'Resolution rate',
  'a.kpi.resolutionSub': 'Resolved {a} / accepted {b}',
  'a.kpi.onTime': 'On-time rate',
  'a.kpi.onTimeSub': 'On time {a} / with deadline {b}',
  'a.kpi.satisfaction': 'Satisfaction',
  'a.kpi.satisfactionSub': 'Satisfied {a} + basically {b} / rated {c}',
  'a.kpi.revisit': 'Revisit rate',
  'a.kpi.revisitSub': 'Rated {a} / resolved {b}',
  'a.kpi.reopen': 'Reopen rate',
  'a.kpi.reopenSub': 'Reopened {a} / resolved {b}',
  'a.kpi.signOnTime': 'Signed on time',
  'a.kpi.signOnTimeSub': 'On time {a} / to sign {b}',
  'a.kpi.adoption': 'Adoption rate',
  'a.kpi.adoptionSub': 'Adopted {a} / suggestions {b}',
  'a.kpi.overdue': 'Overdue open',
  'a.kpi.overdueSub': 'Being handled past the deadline',
  'a.kpi.handling': 'Mean working days',
  'a.kpi.handlingSub': 'Median {m}',
  'a.chart.trend': 'Filed and resolved',
  'a.chart.departments': 'Lead departments',
  'a.chart.categories': 'Categories',
  'a.chart.satisfaction': 'Satisfaction',
  'a.chart.failed': 'Chart failed to load',
  'a.rank.best': 'Best (red list)',
  'a.rank.worst': 'Worst (black list)',
  'a.rank.no': 'Rank',
  'a.rank.dept': 'Department',
  'a.rank.score': 'Score',
  'a.rank.filed': 'Filed',
  'a.rank.ranked': '{n} departments ranked',
  'a.rank.empty': 'No department to rank in this period',
  'a.dl.title': 'Ledger and assessment',
  'a.dl.ledgerXlsx': 'Ledger (Excel)',
  'a.dl.ledgerCsv': 'Ledger (CSV)',
  'a.dl.month': 'Month',
  'a.dl.assessment': 'Monthly assessment',
  'a.dl.hint': 'The ledger covers the tickets filed in the period',
  'a.dl.started': 'Preparing the file…',
  'a.dl.done': 'Download started',
  'a.common.create': 'New',
  'a.common.edit': 'Edit',
  'a.common.disable': 'Disable',
  'a.common.enable': 'Enable',
  'a.common.actions': 'Actions',
  'a.common.status': 'Status',
  'a.common.active': 'Active',
  'a.common.disabled': 'Disabled',
  'a.common.all': 'All',
  'a.common.none': 'None',
  'a.common.saved': 'Saved',
  'a.common.created': 'Created',
  'a.common.search': 'Search',
  'a.common.count': '{n} items',
  'a.dept.title': 'Departments',
  'a.dept.name': 'Name',
  'a.dept.parent': 'Parent / task force',
  'a.dept.head': 'Head',
  'a.dept.noParent': 'None (top level)',
  'a.dept.noHead': 'Not set',
  'a.dept.create': 'New department',
  'a.dept.edit': 'Edit department',
  'a.dept.hint': 'A task force is a parent department; its members name it as parent. The head must be a cadre.',
  'a.dept.empty': 'No departments yet',
  'a.user.title': 'Users',
  'a.user.username': 'Username',
  'a.user.usernameHint': '3–64 letters, digits or _ . @ -',
  'a.user.password': 'Password',
  'a.user.passwordHint': '8–128 characters',
  'a.user.newPassword': 'New password',
  'a.user.newPasswordHint': 'Leave empty to keep; a change signs the user out',
  'a.user.name': 'Name',
  'a.user.phone': 'Mobile',
  'a.user.email': 'E-mail',
  'a.user.role': 'Role',
  'a.user.department': 'Department',
  'a.user.enterprise': 'Enterprise',
  'a.user.enterpriseSearch': 'Search by name or credit code',
  'a.user.enterprisePick': 'Choose an enterprise',
  'a.user.notifyEmail': 'E-mail notifications',
  'a.user.notifySms': 'SMS notifications',
  'a.user.org': 'Department / enterprise',
  'a.user.allRoles': 'All roles',
  'a.user.statusActive': 'Active',
  'a.user.statusDisabled': 'Disabled',
  'a.user.statusAll': 'Any status',
  'a.user.create': 'New user',
  'a.user.edit': 'Edit user',
  'a.user.disableConfirm': '{name} will no longer sign in; open sessions end within 15 minutes. Disable?',
  'a.user.disabledOk': 'Disabled',
  'a.user.enabledOk': 'Enabled',
  'a.user.empty': 'No users match',
  'a.ent.title': 'Enterprises',
  'a.ent.name': 'Name',
  'a.ent.creditCode': 'Credit code',
  'a.ent.creditHint': '18 characters, the last a check character',
  'a.ent.chain': 'Industry chain',
  'a.ent.area': 'Area',
  'a.ent.address': 'Address',
  'a.ent.contactName': 'Contact',
  'a.ent.contactPhone': 'Contact phone',
  'a.ent.contactPhoneHint': 'Mobile, or a landline with its area code',
  'a.ent.liaison': 'Liaison cadre',
  'a.ent.noLiaison': 'Not set',
  'a.ent.create': 'New enterprise',
  'a.ent.edit': 'Edit enterprise',
  'a.ent.search': 'Name or credit code',
  'a.ent.import': 'Import ledger',
  'a.ent.empty': 'No enterprises match',
  'a.imp.title': 'Import enterprises from an Excel ledger',
  'a.imp.step1': 'Download the template',
  'a.imp.step1Hint': 'Columns: 企业名称, 统一社会信用代码, 产业链, 所在区域, 地址, 联系人, 联系电话, 联络干部 (a cadre username or phone). Existing credit codes are updated.',
  'a.imp.template': 'Template',
  'a.imp.step2': 'Pick the filled-in .xlsx file',
  'a.imp.pick': 'Choose file',
  'a.imp.noFile': 'No file chosen',
  'a.imp.step3': 'Check, then import',
  'a.imp.step3Hint': 'The check writes nothing; with any error nothing is imported.',
  'a.imp.dryRun': 'Check file',
  'a.imp.submit': 'Import',
  'a.imp.checking': 'Checking…',
  'a.imp.importing': 'Importing…',
  'a.imp.dryOk': 'Check passed: {c} new, {u} updated.',
  'a.imp.done': 'Imported: {c} new, {u} updated.',
  'a.imp.rejected': '{n} problems found; nothing was imported. Fix them and check again.',
  'a.imp.row': 'Row',
  'a.imp.column': 'Column',
  'a.imp.message': 'Problem',
  'a.imp.needXlsx': 'Please choose an .xlsx file',
  'a.imp.confirm': 'Import? {c} new and {u} updated enterprises.',
  'a.cat.title': 'Categories',
  'a.cat.name': 'Name',
  'a.cat.department': 'Default department',
  'a.cat.noDepartment': 'None',
  'a.cat.days': 'Deadline (working days)',
  'a.cat.daysShort': 'Deadline',
  'a.cat.daysUnit': '{n} working days',
  'a.cat.daysHint': '1–365; used when a ticket is assigned without a deadline',
  'a.cat.create': 'New category',
  'a.cat.edit': 'Edit category',
  'a.cat.disableConfirm': 'Enterprises can no longer file under "{name}"; existing tickets keep it. Disable?',
  'a.cat.empty': 'No categories yet',
  'a.cal.title': 'Holiday calendar',
  'a.cal.year': 'Year',
  'a.cal.source': 'Source',
  'a.cal.holidays': 'Holidays',
  'a.cal.src.built_in': 'Built in',
  'a.cal.src.file': 'Config file',
  'a.cal.src.database': 'Uploaded',
  'a.cal.missing': 'No holiday data for {years}: deadlines count Monday to Friday. Upload it once the State Council notice is out.',
  'a.cal.view': 'View',
  'a.cal.upload': 'Upload a year',
  'a.cal.uploadTitle': 'Upload / replace a year',
  'a.cal.uploadHint': 'Write it in TOML (see an existing year) or pick a .toml file. Saving replaces the year for every instance at once; deadlines already set are not recomputed.',
  'a.cal.toml': 'Calendar file (TOML)',
  'a.cal.pickFile': 'Choose a .toml file',
  'a.cal.parse': 'Preview',
  'a.cal.save': 'Save',
  'a.cal.saved': 'Calendar {year} saved',
  'a.cal.parseError': 'Line {line}: {msg}',
  'a.cal.parseEmpty': 'No [[holidays]] found',
  'a.cal.yearMismatch': 'The file\'s year differs from the year entered',
  'a.cal.h.name': 'Name',
  'a.cal.h.from': 'First day off',
  'a.cal.h.to': 'Last day off',
  'a.cal.h.days': 'Days',
  'a.cal.h.workdays': 'Make-up working days',
  'a.cal.yearTitle': 'Holidays {year}',
  'a.cal.replace': 'Replace this year',
  'a.cal.fileTitle': 'Calendar file',
  'a.cal.notFound': 'No calendar data for {year}',
  'a.cal.confirm': 'Replace the holidays of {year} ({n} holidays)?',
  'a.ntf.title': 'Notifications',
  'a.ntf.total': 'All',
  'a.ntf.st.pending': 'Pending',
  'a.ntf.st.sending': 'Sending',
  'a.ntf.st.sent': 'Sent',
  'a.ntf.st.failed': 'Failed',
  'a.ntf.ch.email': 'E-mail',
  'a.ntf.ch.sms': 'SMS',
  'a.ntf.allChannels': 'All channels',
  'a.ntf.allEvents': 'All events',
  'a.ntf.allStatus': 'Any status',
  'a.ntf.ev.ticket_filed': 'Filed',
  'a.ntf.ev.ticket_assigned': 'Assigned',
  'a.ntf.ev.ticket_returned': 'Returned',
  'a.ntf.ev.ticket_urged': 'Urged',
  'a.ntf.ev.ticket_resolved': 'Resolved',
  'a.ntf.ev.ticket_reopened': 'Reopened',
  'a.ntf.ev.ticket_rejected': 'Rejected',
  'a.ntf.ev.sms_code': 'SMS code',
  'a.ntf.time': 'Time',
  'a.ntf.channel': 'Channel',
  'a.ntf.recipient': 'Recipient',
  'a.ntf.event': 'Event',
  'a.ntf.content': 'Content',
  'a.ntf.attempts': 'Tries',
  'a.ntf.error': 'Error',
  'a.ntf.retry': 'Retry',
  'a.ntf.retried': 'Queued again',
  'a.ntf.view': 'Details',
  'a.ntf.detail': 'Notification',
  'a.ntf.subject': 'Subject',
  'a.ntf.body': 'Body',
  'a.ntf.sentAt': 'Sent',
  'a.ntf.next': 'Next attempt',
  'a.ntf.provider': 'Provider id',
  'a.ntf.ticket': 'Ticket',
  'a.ntf.empty': 'No notifications match',
  'a.ntf.countsFailed': 'Counts failed to load',
});

// ---------------------------------------------------------------------------------------------
// Frame

const NAV = [
  { hash: '#/a', label: 'a.nav.dashboard', icon: 'chart', testid: 'nav-dashboard' },
  { hash: '#/d', label: 'a.nav.tickets', icon: 'list', testid: 'nav-tickets' },
  { hash: '#/a/departments', label: 'a.nav.departments', icon: 'building', testid: 'nav-departments', hub: 'a.hub.departments' },
  { hash: '#/a/users', label: 'a.nav.users', icon: 'user', testid: 'nav-users', hub: 'a.hub.users' },
  { hash: '#/a/enterprises', label: 'a.nav.enterprises', icon: 'home', testid: 'nav-enterprises', hub: 'a.hub.enterprises' },
  { hash: '#/a/categories', label: 'a.nav.categories', icon: 'file', testid: 'nav-categories', hub: 'a.hub.categories' },
  { hash: '#/a/calendar', label: 'a.nav.calendar', icon: 'clock', testid: 'nav-calendar', hub: 'a.hub.calendar' },
  { hash: '#/a/notifications', label: 'a.nav.notifications', icon: 'bell', testid: 'nav-notifications', hub: 'a.hub.notifications' },
  { hash: '#/a/me', label: 'a.nav.me', icon: 'settings', testid: 'nav-me' },
];
const PHONE_NAV = [
  NAV[0], NAV[1],
  { hash: '#/a/manage', label: 'a.nav.manage', icon: 'settings', testid: 'nav-manage' },
  { hash: '#/a/me', label: 'a.nav.me', icon: 'user', testid: 'nav-me' },
];
const desk = window.matchMedia('(min-width: 900px)');

function applyTabs() { setTabs('admin', desk.matches ? NAV : PHONE_NAV); }

function adminPage(title, body, { actions, back } = {}) {
  const node = page({ title, body: h('div', { class: 'sa-main' }, body), actions, back, tabbar: true, wide: true, className: 'sf-page sa-page' });
  // On phones the management pages belong to the "管理" tab (the dashboard's '#/a' would otherwise claim them by prefix).
  const hash = currentHash().split('?')[0];
  const bar = node.querySelector('.tabbar');
  if (bar && !desk.matches && hash !== '#/a' && hash !== '#/a/me') {
    bar.querySelectorAll('.tabbar-item').forEach((a) => {
      const on = a.getAttribute('data-testid') === 'nav-manage';
      a.classList.toggle('active', on);
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
  }
  return node;
}

function head(title, ...buttons) {
  return h('div', { class: 'sa-head' }, h('h2', null, title), buttons.length ? h('div', { class: 'btn-row' }, buttons) : null);
}

function btn(label, onclick, { cls = 'btn-ghost btn-small', testid, ic, disabled } = {}) {
  return h('button', { type: 'button', class: ['btn', cls], onclick, 'data-testid': testid, disabled: !!disabled }, ic ? icon(ic) : null, label);
}

function table(testid, headers, tbody) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table sa-table', 'data-testid': testid },
      h('thead', null, h('tr', null, headers.map((x) => (typeof x === 'string' ? h('th', null, x) : h('th', { class: x.cls }, x.label))))),
      tbody));
}

function td(content, cls) { return h('td', { class: cls }, content ?? ''); }

/** Send only what changed; '' → null for clearable fields. */
function diff(before, after, clearable) {
  const out = {};
  for (const [k, v] of Object.entries(after)) {
    const old = before ? before[k] : undefined;
    let nv = v;
    if (typeof nv === 'string' && clearable.includes(k) && nv.trim() === '') nv = null;
    if (before && (old ?? null) === (nv ?? null)) continue;
    if (!before && (nv === null || nv === '')) continue;
    out[k] = nv;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dashboard

function monthStart(ymd) { return `${ymd.slice(0, 7)}-01`; }
function monthEnd(ymd) { const [y, m] = ymd.split('-').map(Number); return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10); }
function lastMonthOf(ymd) { return addDays(monthStart(ymd), -1); }
function validYmd(s) { return /^\d{4}-\d{2}-\d{2}$/.test(s || '') && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)); }

function kpiCard(testid, label, value, sub, { main, bad } = {}) {
  const isNull = value === null || value === undefined;
  return h('div', { class: ['sa-kpi', main && 'is-main', bad && 'is-bad'], 'data-testid': testid },
    h('div', { class: 'sa-kpi-label' }, label),
    h('div', { class: ['sa-kpi-value', isNull && 'is-null'], 'data-testid': `${testid}-value` }, isNull ? t('a.dash.noData') : value),
    sub ? h('div', { class: 'sa-kpi-sub' }, sub) : null);
}

function kpis(s) {
  const k = s.filed_by_kind || {};
  const num = (v) => (v === null || v === undefined ? null : String(v));
  const days = (v) => (v === null || v === undefined ? null : (Math.round(v * 10) / 10).toString());
  return h('div', { class: 'sa-kpis' },
    kpiCard('kpi-filed', t('a.kpi.filed'), num(s.filed), t('a.kpi.filedSub', { p: k.problem ?? 0, s: k.suggestion ?? 0, i: k.inquiry ?? 0 })),
    kpiCard('kpi-resolution', t('a.kpi.resolution'), pct(s.resolution_rate), t('a.kpi.resolutionSub', { a: s.resolved, b: s.accepted }), { main: true }),
    kpiCard('kpi-on-time', t('a.kpi.onTime'), pct(s.on_time_rate), t('a.kpi.onTimeSub', { a: s.on_time, b: s.resolved_with_deadline }), { main: true }),
    kpiCard('kpi-satisfaction', t('a.kpi.satisfaction'), pct(s.satisfaction_rate), t('a.kpi.satisfactionSub', { a: s.satisfied, b: s.basically_satisfied, c: s.rated }), { main: true }),
    kpiCard('kpi-revisit', t('a.kpi.revisit'), pct(s.revisit_rate), t('a.kpi.revisitSub', { a: s.rated, b: s.resolved })),
    kpiCard('kpi-reopen', t('a.kpi.reopen'), pct(s.reopen_rate), t('a.kpi.reopenSub', { a: s.reopened, b: s.resolved })),
    kpiCard('kpi-accepted', t('a.kpi.accepted'), num(s.accepted), t('a.kpi.acceptedSub')),
    kpiCard('kpi-resolved', t('a.kpi.resolved'), num(s.resolved), t('a.kpi.resolvedSub')),
    kpiCard('kpi-overdue', t('a.kpi.overdue'), num(s.overdue_open), t('a.kpi.overdueSub'), { bad: s.overdue_open > 0 }),
    kpiCard('kpi-sign-on-time', t('a.kpi.signOnTime'), pct(s.sign_on_time_rate), t('a.kpi.signOnTimeSub', { a: s.signed_on_time, b: s.signed_with_deadline })),
    kpiCard('kpi-adoption', t('a.kpi.adoption'), pct(s.adoption_rate), t('a.kpi.adoptionSub', { a: s.suggestions_adopted, b: s.suggestions })),
    kpiCard('kpi-handling-days', t('a.kpi.handling'), days(s.handling_days_mean), s.handling_days_median === null || s.handling_days_median === undefined ? null : t('a.kpi.handlingSub', { m: days(s.handling_days_median) })));
}

function chartCard(name, title, query) {
  const box = h('div', { class: 'sa-chart', 'data-testid': `chart-${name}` }, loading());
  const load = () => {
    box.replaceChildren(loading());
    blobUrl(`/stats/charts/${name}.svg${qsOf(query)}`).then((u) => {
      box.replaceChildren(h('img', { src: u, alt: title, class: 'chart' }));
    }, (err) => {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    });
  };
  load();
  return h('section', { class: 'card' }, h('h3', { class: 'card-title' }, title), box);
}

function qsOf(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

function rankTable(testid, rows, cls, title) {
  const rate = (v) => pct(v) ?? t('a.dash.noData');
  return h('section', { class: ['card', cls] },
    h('h3', { class: 'card-title' }, title),
    rows.length ? table(testid, [t('a.rank.no'), t('a.rank.dept'), { label: t('a.rank.score'), cls: 'num' }, { label: t('a.rank.filed'), cls: 'num' },
      { label: t('a.kpi.resolution'), cls: 'num' }, { label: t('a.kpi.onTime'), cls: 'num' }, { label: t('a.kpi.satisfaction'), cls: 'num' }],
    h('tbody', null, rows.map((r) => h('tr', { 'data-testid': 'ranking-row', 'data-id': r.department_id },
      td(h('span', { class: 'sa-rankno' }, String(r.rank))),
      td(r.name, 'sa-name'),
      td(r.score === null || r.score === undefined ? t('a.dash.noData') : (Math.round(r.score * 1000) / 10).toFixed(1), 'num'),
      td(String(r.filed ?? 0), 'num'),
      td(rate(r.resolution_rate), 'num'), td(rate(r.on_time_rate), 'num'), td(rate(r.satisfaction_rate), 'num')))))
      : h('div', { 'data-testid': testid }, empty(t('a.rank.empty'))));
}

async function dashboardPage(params, query) {
  const today = todayCN();
  let from = validYmd(query.from) ? query.from : monthStart(today);
  let to = validYmd(query.to) ? query.to : monthEnd(today);
  let interval = ['day', 'week', 'month'].includes(query.interval) ? query.interval : null;
  const fromIn = h('input', { type: 'date', class: 'input', value: from, 'data-testid': 'date-from', 'aria-label': t('a.dash.from') });
  const toIn = h('input', { type: 'date', class: 'input', value: to, 'data-testid': 'date-to', 'aria-label': t('a.dash.to') });
  const periodErr = h('div', { class: 'sa-period-error', role: 'alert', 'data-testid': 'period-error' });
  const intervalSel = h('select', { class: 'select', 'data-testid': 'chart-interval', 'aria-label': t('a.dash.interval') },
    ['day', 'week', 'month'].map((v) => h('option', { value: v }, t(`a.dash.${v}`))));
  const quick = [
    { id: 'range-this-month', label: t('a.dash.thisMonth'), range: () => [monthStart(today), monthEnd(today)] },
    { id: 'range-last-month', label: t('a.dash.lastMonth'), range: () => { const l = lastMonthOf(today); return [monthStart(l), monthEnd(l)]; } },
    { id: 'range-this-year', label: t('a.dash.thisYear'), range: () => [`${today.slice(0, 4)}-01-01`, `${today.slice(0, 4)}-12-31`] },
  ];
  const quickBox = h('div', { class: 'sa-quick' }, quick.map((q) => h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': q.id,
    onclick: () => { [from, to] = q.range(); fromIn.value = from; toIn.value = to; apply(); } }, q.label)));

  const periodBar = h('div', { class: 'sa-period' },
    h('label', null, t('a.dash.from'), fromIn),
    h('label', null, t('a.dash.to'), toIn),
    quickBox,
    h('label', null, t('a.dash.interval'), intervalSel),
    periodErr);

  const content = h('div', { class: 'sa-dash-content' });
  const monthIn = h('input', { type: 'month', class: 'input', value: lastMonthOf(today).slice(0, 7), 'data-testid': 'assessment-month', 'aria-label': t('a.dl.month') });

  const dl = async (b, path, name) => {
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    const tst = toast(t('a.dl.started'));
    try {
      await download(path, name);
      toast(t('a.dl.done'), 'success');
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      b.disabled = false; b.removeAttribute('aria-busy');
      if (tst && tst.remove) tst.remove();
    }
  };
  const ledgerQuery = () => qsOf({ created_from: from, created_to: addDays(to, 1) });
  const xlsxBtn = btn(t('a.dl.ledgerXlsx'), (e) => dl(e.currentTarget, `/ledger.xlsx${ledgerQuery()}`), { cls: 'btn-primary btn-small', testid: 'download-ledger', ic: 'download' });
  const csvBtn = btn(t('a.dl.ledgerCsv'), (e) => dl(e.currentTarget, `/ledger.csv${ledgerQuery()}`), { testid: 'download-ledger-csv', ic: 'download' });
  const assessBtn = btn(t('a.dl.assessment'), (e) => {
    if (!/^\d{4}-\d{2}$/.test(monthIn.value)) { monthIn.focus(); return; }
    dl(e.currentTarget, `/stats/assessment.xlsx${qsOf({ month: monthIn.value })}`);
  }, { testid: 'download-assessment', ic: 'download' });
  const downloads = h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('a.dl.title')),
    h('div', { class: 'sa-downloads' }, xlsxBtn, csvBtn, h('span', { class: 'sa-divider', 'aria-hidden': 'true' }),
      h('span', { class: 'sa-inline' }, h('label', { class: 'muted sf-small' }, t('a.dl.month')), monthIn, assessBtn)),
    h('p', { class: 'muted sf-small sa-result' }, t('a.dl.hint')));

  function autoInterval() {
    const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000 + 1;
    return days <= 62 ? 'day' : days <= 200 ? 'week' : 'month';
  }

  let seq = 0;
  async function apply() {
    from = fromIn.value; to = toIn.value;
    fromIn.classList.remove('is-invalid'); toIn.classList.remove('is-invalid');
    periodErr.textContent = '';
    if (!validYmd(from)) { fromIn.classList.add('is-invalid'); periodErr.textContent = t('s.required'); return; }
    if (!validYmd(to)) { toIn.classList.add('is-invalid'); periodErr.textContent = t('s.required'); return; }
    if (to < from) { toIn.classList.add('is-invalid'); periodErr.textContent = t('a.dash.badRange'); return; }
    if (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`) > 3652 * 86400000) { toIn.classList.add('is-invalid'); periodErr.textContent = t('a.dash.tooLong'); return; }
    const iv = interval || autoInterval();
    intervalSel.value = iv;
    setHashQuery({ from, to, interval: interval || '' });
    quickBox.querySelectorAll('.btn').forEach((b, i) => { const [a, z] = quick[i].range(); b.classList.toggle('active', a === from && z === to); });
    const my = ++seq;
    const q = { from, to: addDays(to, 1) };
    content.replaceChildren(loading());
    try {
      const [summary, ranking] = await Promise.all([
        api('GET', '/stats/summary', null, { query: q }),
        api('GET', '/stats/ranking', null, { query: { ...q, limit: 10 } }).catch((e) => ({ error: e })),
      ]);
      if (my !== seq) return;
      const rankNode = ranking.error
        ? h('section', { class: 'card' }, errorState(ranking.error))
        : h('div', { class: 'sa-rank' },
          rankTable('ranking-best', ranking.best || [], 'sa-rank-best', t('a.rank.best')),
          rankTable('ranking-worst', ranking.worst || [], 'sa-rank-worst', t('a.rank.worst')));
      content.replaceChildren(
        h('p', { class: 'muted sf-small sa-periodline' }, t('a.dash.period', { from, to }), ranking.ranked !== undefined ? ` · ${t('a.rank.ranked', { n: ranking.ranked })}` : ''),
        kpis(summary),
        h('div', { class: 'sa-charts' },
          chartCard('trend', t('a.chart.trend'), { ...q, interval: iv }),
          chartCard('departments', t('a.chart.departments'), q),
          chartCard('categories', t('a.chart.categories'), q),
          chartCard('satisfaction', t('a.chart.satisfaction'), q)),
        rankNode,
        downloads);
    } catch (err) {
      if (my !== seq) return;
      content.replaceChildren(errorState(err, apply));
    }
  }
  fromIn.addEventListener('change', apply);
  toIn.addEventListener('change', apply);
  intervalSel.addEventListener('change', () => { interval = intervalSel.value; apply(); });
  apply();
  return adminPage(t('a.dash.title'), [periodBar, content]);
}

// ---------------------------------------------------------------------------------------------
// Manage hub (phones)

function hubPage() {
  return adminPage(t('a.nav.manage'), h('div', { class: 'sa-hub' },
    NAV.filter((n) => n.hub).map((n) => h('a', { href: n.hash, 'data-testid': n.testid }, icon(n.icon), h('span', null, t(n.label)), h('small', null, t(n.hub))))));
}

// ---------------------------------------------------------------------------------------------
// Departments

async function departmentsPage() {
  const box = h('div', null, loading());
  let cadres = [];
  async function load() {
    invalidate('departments');
    box.replaceChildren(loading());
    try {
      const [depts, cs] = await Promise.all([directory.departments(), fetchAll('/users', { role: 'cadre' }).catch(() => [])]);
      cadres = cs;
      const users = nameMap(cs);
      const dn = nameMap(depts);
      const rows = deptTree(depts);
      box.replaceChildren(rows.length ? table('departments-table', [t('a.dept.name'), t('a.dept.parent'), t('a.dept.head'), { label: t('a.common.actions'), cls: 'sa-actions' }],
        h('tbody', null, rows.map(({ dept, depth }) => h('tr', { 'data-testid': 'departments-row', 'data-id': dept.id },
          td(dept.name, ['sa-name', depth && `sa-indent-${Math.min(depth, 3)}`]),
          td(dept.parent_id ? dn.get(dept.parent_id) || '—' : h('span', { class: 'muted' }, '—')),
          td(dept.head_user_id ? users.get(dept.head_user_id) || '—' : h('span', { class: 'muted' }, t('a.dept.noHead'))),
          td(btn(t('a.common.edit'), () => edit(dept, depts), { testid: 'dept-edit' }), 'sa-actions')))))
        : empty(t('a.dept.empty')));
    } catch (err) {
      box.replaceChildren(errorState(err, load));
    }
  }
  async function edit(dept, depts) {
    if (!depts) depts = await directory.departments();
    const name = textInput('name', { max: 100, testid: 'dept-name', value: dept ? dept.name : '' });
    const parent = selectInput('parent_id', deptSelectOptions(depts, { placeholder: t('a.dept.noParent'), selected: dept ? dept.parent_id : '', excludeId: dept ? dept.id : null }), { testid: 'dept-parent' });
    const headSel = selectInput('head_user_id', [h('option', { value: '' }, t('a.dept.noHead')),
      ...cadres.filter((u) => !u.disabled || (dept && u.id === dept.head_user_id)).map((u) => h('option', { value: u.id, selected: dept && u.id === dept.head_user_id },
        `${u.name}（${nameMap(depts).get(u.department_id) || u.username}）`))], { testid: 'dept-head' });
    const r = await formDialog({
      title: dept ? t('a.dept.edit') : t('a.dept.create'), okText: t('common.save'), action: dept ? 'dept-edit' : 'dept-create', duplicateField: 'name',
      fields: [
        field(t('a.dept.name'), name, null, { required: true }),
        field(t('a.dept.parent'), parent),
        field(t('a.dept.head'), headSel, t('a.dept.hint')),
      ],
      submit: async (form, v) => {
        checkFields(v, { name: { required: true, max: 100 } });
        const body = diff(dept, { name: v.name.trim(), parent_id: v.parent_id || null, head_user_id: v.head_user_id || null }, ['parent_id', 'head_user_id']);
        if (dept && !Object.keys(body).length) return true;
        return dept ? api('PATCH', `/departments/${encodeURIComponent(dept.id)}`, body) : api('POST', '/departments', body);
      },
    });
    if (r) { toast(dept ? t('a.common.saved') : t('a.common.created'), 'success'); load(); }
  }
  load();
  return adminPage(t('a.dept.title'), [
    head(t('a.dept.title'), btn(t('a.dept.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'dept-create', ic: 'plus' })),
    box]);
}

// ---------------------------------------------------------------------------------------------
// Users

const ROLES = ['cadre', 'dispatcher', 'admin', 'enterprise'];

/** A searchable enterprise picker: a search box that fills a select. */
function enterprisePicker(selectedId) {
  const sel = h('select', { name: 'enterprise_id', class: 'select', 'data-testid': 'user-enterprise' }, h('option', { value: '' }, t('a.user.enterprisePick')));
  const search = h('input', { type: 'search', class: 'input', placeholder: t('a.user.enterpriseSearch'), 'data-testid': 'user-enterprise-search', maxlength: '100', 'aria-label': t('a.user.enterpriseSearch') });
  let seq = 0;
  let timer = null;
  const fill = async (q) => {
    const my = ++seq;
    try {
      const r = await api('GET', '/enterprises', null, { query: { q: q || undefined, limit: 30 } });
      if (my !== seq) return;
      const keep = sel.value || selectedId;
      const items = r.items || [];
      if (keep && !items.some((e) => e.id === keep)) {
        const cur = await directory.enterprise(keep).catch(() => null);
        if (cur) items.unshift(cur);
      }
      sel.replaceChildren(h('option', { value: '' }, t('a.user.enterprisePick')),
        ...items.map((e) => h('option', { value: e.id, selected: e.id === keep }, `${e.name}（${e.credit_code}）`)));
    } catch { /* keep the old options */ }
  };
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => fill(search.value.trim()), 250); });
  fill('');
  return h('div', { class: 'sa-picker', 'data-field': 'enterprise_id' }, search, sel);
}

async function usersPage(params, query) {
  let role = ROLES.includes(query.role) ? query.role : '';
  let status = ['active', 'disabled', 'all'].includes(query.status) ? query.status : 'active';
  let q = query.q || '';
  const depts = await directory.departments().catch(() => []);
  const dn = nameMap(depts);
  const roleSel = h('select', { class: 'select', 'data-testid': 'user-role-filter', 'aria-label': t('a.user.role'), onchange: (e) => { role = e.target.value; go(); } },
    h('option', { value: '' }, t('a.user.allRoles')), ROLES.map((r) => h('option', { value: r, selected: r === role }, t(`role.${r}`))));
  const statusSel = h('select', { class: 'select', 'data-testid': 'user-status-filter', 'aria-label': t('a.common.status'), onchange: (e) => { status = e.target.value; go(); } },
    [['active', 'a.user.statusActive'], ['disabled', 'a.user.statusDisabled'], ['all', 'a.user.statusAll']].map(([v, k]) => h('option', { value: v, selected: v === status }, t(k))));
  const searchIn = h('input', { type: 'search', class: 'input', value: q, placeholder: `${t('a.user.name')} / ${t('a.user.username')}`, 'data-testid': 'user-search', maxlength: '100', 'aria-label': t('a.common.search') });
  const toolbar = h('form', { class: 'toolbar sa-toolbar', onsubmit: (e) => { e.preventDefault(); q = searchIn.value.trim(); go(); } },
    roleSel, statusSel, searchIn, h('button', { type: 'submit', class: 'btn btn-ghost btn-small' }, t('a.common.search')));
  const box = h('div');

  function row(u) {
    const org = u.department_id ? dn.get(u.department_id) || '—' : '';
    const orgCell = td(org);
    if (u.enterprise_id) directory.enterprise(u.enterprise_id).then((e) => { if (e) orgCell.textContent = e.name; }, () => {});
    return h('tr', { 'data-testid': 'users-row', 'data-id': u.id, class: u.disabled && 'is-disabled' },
      td(u.name, 'sa-name'), td(u.username, 'mono'), td(t(`role.${u.role}`), 'sa-nowrap'), orgCell, td(u.phone || '', 'mono'),
      td(h('span', { class: ['tag', u.disabled ? 'tag-off' : 'tag-on'] }, u.disabled ? t('a.common.disabled') : t('a.common.active'))),
      td(h('div', { class: 'btn-row' },
        btn(t('a.common.edit'), () => edit(u), { testid: 'user-edit' }),
        u.disabled ? btn(t('a.common.enable'), () => setDisabled(u, false), { testid: 'user-enable' })
          : u.id !== session.user().id ? btn(t('a.common.disable'), () => setDisabled(u, true), { testid: 'user-disable', cls: 'btn-ghost btn-small btn-danger-text' }) : null), 'sa-actions'));
  }

  let list = null;
  function go() {
    setHashQuery({ role, status: status === 'active' ? '' : status, q });
    list = pagedList({
      testid: 'users-tbody', listTag: 'tbody', listClass: 'sa-tbody', emptyText: t('a.user.empty'),
      wrap: (tbody) => table('users-table', [t('a.user.name'), t('a.user.username'), t('a.user.role'), t('a.user.org'), t('a.user.phone'), t('a.common.status'), { label: t('a.common.actions'), cls: 'sa-actions' }], tbody),
      load: (cursor) => api('GET', '/users', null, { query: { role: role || undefined, disabled: status === 'all' ? undefined : status === 'disabled', q: q || undefined, limit: 50, cursor } }),
      item: row,
    });
    box.replaceChildren(list.element);
  }

  async function setDisabled(u, disabled) {
    if (disabled && !(await confirmDialog(t('a.user.disableConfirm', { name: u.name }), { danger: true, okText: t('a.common.disable') }))) return;
    try {
      await api('PATCH', `/users/${encodeURIComponent(u.id)}`, { disabled });
      invalidate('cadres:'); invalidate(`user:${u.id}`);
      toast(disabled ? t('a.user.disabledOk') : t('a.user.enabledOk'), 'success');
      list.reload();
    } catch (err) { toast(errorMessage(err), 'error'); }
  }

  async function edit(u) {
    const isNew = !u;
    let curRole = u ? u.role : (role || 'cadre');
    const roleSel2 = selectInput('role', ROLES.map((r) => h('option', { value: r, selected: r === curRole }, t(`role.${r}`))), { testid: 'user-role' });
    const deptField = field(t('a.user.department'), selectInput('department_id', deptSelectOptions(depts, { placeholder: t('s.pickOne'), selected: u ? u.department_id : '' }), { testid: 'user-department' }), null, { required: true });
    const entField = field(t('a.user.enterprise'), enterprisePicker(u ? u.enterprise_id : null), null, { required: true });
    const sync = () => { deptField.classList.toggle('hidden', curRole !== 'cadre'); entField.classList.toggle('hidden', curRole !== 'enterprise'); };
    roleSel2.addEventListener('change', () => { curRole = roleSel2.value; sync(); });
    sync();
    const fields = [
      isNew ? field(t('a.user.username'), textInput('username', { max: 64, testid: 'user-username', autocomplete: 'off' }), t('a.user.usernameHint'), { required: true })
        : h('p', { class: 'sf-dialog-lead' }, `${t('a.user.username')}：${u.username}`),
      field(isNew ? t('a.user.password') : t('a.user.newPassword'), textInput('password', { type: 'password', max: 128, testid: 'user-password', autocomplete: 'new-password' }),
        isNew ? t('a.user.passwordHint') : t('a.user.newPasswordHint'), { required: isNew }),
      field(t('a.user.name'), textInput('name', { max: 100, testid: 'user-name', value: u ? u.name : '' }), null, { required: true }),
      field(t('a.user.role'), roleSel2, null, { required: true }),
      deptField,
      entField,
      field(t('a.user.phone'), textInput('phone', { type: 'tel', testid: 'user-phone', value: u ? u.phone || '' : '', inputmode: 'tel' })),
      field(t('a.user.email'), textInput('email', { type: 'email', testid: 'user-email', value: u ? u.email || '' : '' })),
      !isNew ? h('div', { class: 'field' }, checkbox('notify_email', t('a.user.notifyEmail'), { checked: u.notify_email, testid: 'user-notify-email' }),
        checkbox('notify_sms', t('a.user.notifySms'), { checked: u.notify_sms, testid: 'user-notify-sms' })) : null,
    ];
    const r = await formDialog({
      title: isNew ? t('a.user.create') : t('a.user.edit'), okText: t('common.save'), action: isNew ? 'user-create' : 'user-edit', fields, duplicateField: 'username',
      submit: async (form, v) => {
        const rules = { name: { required: true, max: 100 } };
        if (isNew) { rules.username = { required: true, max: 64 }; rules.password = { required: true, max: 128 }; }
        const errs = {};
        try { checkFields(v, rules); } catch (e) { Object.assign(errs, e.fields); }
        if (v.password && [...v.password].length < 8) errs.password = t('fe.atLeast', { n: 8 });
        if (v.role === 'cadre' && !v.department_id) errs.department_id = t('s.pickOne');
        if (v.role === 'enterprise' && !v.enterprise_id) errs.enterprise_id = t('s.pickOne');
        if (Object.keys(errs).length) throw localError(errs);
        const after = {
          name: v.name.trim(), role: v.role, phone: v.phone.trim(), email: v.email.trim(),
          department_id: v.role === 'cadre' ? v.department_id : null,
          enterprise_id: v.role === 'enterprise' ? v.enterprise_id : null,
        };
        if (!isNew) { after.notify_email = !!v.notify_email; after.notify_sms = !!v.notify_sms; }
        const body = diff(u, after, ['phone', 'email', 'department_id', 'enterprise_id']);
        if (v.password) body.password = v.password;
        if (isNew) { body.username = v.username.trim(); return api('POST', '/users', body); }
        if (!Object.keys(body).length) return true;
        return api('PATCH', `/users/${encodeURIComponent(u.id)}`, body);
      },
    });
    if (r) {
      invalidate('cadres:'); if (u) invalidate(`user:${u.id}`);
      toast(isNew ? t('a.common.created') : t('a.common.saved'), 'success');
      list.reload();
    }
  }

  go();
  return adminPage(t('a.user.title'), [
    head(t('a.user.title'), btn(t('a.user.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'user-create', ic: 'plus' })),
    toolbar, box]);
}

// ---------------------------------------------------------------------------------------------
// Enterprises

const CHAINS = ['绿色食品', '先进储能材料', '智能终端', '医药医疗器械', '新型合金', '文化旅游'];

async function enterprisesPage(params, query) {
  let q = query.q || '';
  const cadres = await fetchAll('/users', { role: 'cadre' }).catch(() => []);
  const cn = nameMap(cadres);
  const searchIn = h('input', { type: 'search', class: 'input', value: q, placeholder: t('a.ent.search'), 'data-testid': 'ent-search', maxlength: '100', 'aria-label': t('a.ent.search') });
  const toolbar = h('form', { class: 'toolbar sa-toolbar', onsubmit: (e) => { e.preventDefault(); q = searchIn.value.trim(); go(); } },
    searchIn, h('button', { type: 'submit', class: 'btn btn-ghost btn-small' }, t('a.common.search')));
  const box = h('div');
  let list = null;
  const datalist = h('datalist', { id: 'sa-chains' }, CHAINS.map((c) => h('option', { value: c })));

  function go() {
    setHashQuery({ q });
    list = pagedList({
      testid: 'enterprises-tbody', listTag: 'tbody', listClass: 'sa-tbody', emptyText: t('a.ent.empty'),
      wrap: (tbody) => table('enterprises-table', [t('a.ent.name'), t('a.ent.creditCode'), t('a.ent.chain'), t('a.ent.area'), t('a.ent.contactName'), t('a.ent.contactPhone'), t('a.ent.liaison'), { label: t('a.common.actions'), cls: 'sa-actions' }], tbody),
      load: (cursor) => api('GET', '/enterprises', null, { query: { q: q || undefined, limit: 50, cursor } }),
      item: (e) => h('tr', { 'data-testid': 'enterprises-row', 'data-id': e.id },
        td(e.name, 'sa-name'), td(e.credit_code, 'mono'), td(e.industry_chain || ''), td(e.area || ''), td(e.contact_name || ''), td(e.contact_phone || '', 'mono'),
        td(e.liaison_cadre_id ? cn.get(e.liaison_cadre_id) || '—' : h('span', { class: 'muted' }, t('a.ent.noLiaison'))),
        td(btn(t('a.common.edit'), () => edit(e), { testid: 'ent-edit' }), 'sa-actions')),
    });
    box.replaceChildren(list.element);
  }

  async function edit(e) {
    const isNew = !e;
    const v0 = e || {};
    const r = await formDialog({
      title: isNew ? t('a.ent.create') : t('a.ent.edit'), okText: t('common.save'), action: isNew ? 'ent-create' : 'ent-edit', wide: true, duplicateField: 'credit_code',
      fields: [
        field(t('a.ent.name'), textInput('name', { max: 100, testid: 'ent-name', value: v0.name }), null, { required: true }),
        field(t('a.ent.creditCode'), textInput('credit_code', { max: 18, testid: 'ent-credit-code', value: v0.credit_code, autocomplete: 'off' }), t('a.ent.creditHint'), { required: true }),
        field(t('a.ent.chain'), h('input', { name: 'industry_chain', class: 'input', list: 'sa-chains', maxlength: '100', 'data-testid': 'ent-chain', value: v0.industry_chain || '' })),
        field(t('a.ent.area'), textInput('area', { max: 100, testid: 'ent-area', value: v0.area || '' })),
        field(t('a.ent.address'), textInput('address', { max: 200, testid: 'ent-address', value: v0.address || '' })),
        field(t('a.ent.contactName'), textInput('contact_name', { max: 100, testid: 'ent-contact-name', value: v0.contact_name || '' })),
        field(t('a.ent.contactPhone'), textInput('contact_phone', { type: 'tel', testid: 'ent-contact-phone', value: v0.contact_phone || '', inputmode: 'tel' }), t('a.ent.contactPhoneHint')),
        field(t('a.ent.liaison'), selectInput('liaison_cadre_id', [h('option', { value: '' }, t('a.ent.noLiaison')),
          ...cadres.filter((u) => !u.disabled || u.id === v0.liaison_cadre_id).map((u) => h('option', { value: u.id, selected: u.id === v0.liaison_cadre_id }, u.phone ? `${u.name}（${u.phone}）` : u.name))], { testid: 'ent-liaison' })),
        datalist,
      ],
      submit: async (form, v) => {
        checkFields(v, { name: { required: true, max: 100 }, credit_code: { required: true }, address: { max: 200 } });
        const after = {
          name: v.name.trim(), credit_code: v.credit_code.trim().toUpperCase(), industry_chain: v.industry_chain.trim(), area: v.area.trim(),
          address: v.address.trim(), contact_name: v.contact_name.trim(), contact_phone: v.contact_phone.trim(), liaison_cadre_id: v.liaison_cadre_id || null,
        };
        const body = diff(e, after, ['industry_chain', 'area', 'address', 'contact_name', 'contact_phone', 'liaison_cadre_id']);
        if (isNew) return api('POST', '/enterprises', body);
        if (!Object.keys(body).length) return true;
        return api('PATCH', `/enterprises/${encodeURIComponent(e.id)}`, body);
      },
    });
    if (r) {
      if (e) invalidate(`enterprise:${e.id}`);
      toast(isNew ? t('a.common.created') : t('a.common.saved'), 'success');
      list.reload();
    }
  }

  go();
  return adminPage(t('a.ent.title'), [
    head(t('a.ent.title'),
      h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises/import', 'data-testid': 'ent-import' }, icon('file'), t('a.ent.import')),
      btn(t('a.ent.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'ent-create', ic: 'plus' })),
    toolbar, box]);
}

function importPage() {
  let file = null;
  let checked = null; // {file, created, updated} after a clean dry run
  const fileIn = h('input', { type: 'file', accept: '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', class: 'sr-only', 'data-testid': 'import-file', id: 'sa-import-file' });
  const fileName = h('span', { class: 'sa-file-name' }, t('a.imp.noFile'));
  const result = h('div', { class: 'sa-result', 'aria-live': 'polite' });
  const dryBtn = btn(t('a.imp.dryRun'), () => run(true), { cls: 'btn-primary', testid: 'import-dry-run', ic: 'check', disabled: true });
  const goBtn = btn(t('a.imp.submit'), () => run(false), { cls: 'btn-primary', testid: 'import-submit', disabled: true });

  fileIn.addEventListener('change', () => {
    file = fileIn.files && fileIn.files[0] ? fileIn.files[0] : null;
    checked = null;
    goBtn.disabled = true;
    result.replaceChildren();
    if (file && !/\.xlsx$/i.test(file.name)) {
      result.replaceChildren(h('div', { class: 'form-error', role: 'alert' }, t('a.imp.needXlsx')));
      file = null;
    }
    fileName.textContent = file ? `${file.name}（${Math.max(1, Math.round(file.size / 1024))} KB）` : t('a.imp.noFile');
    dryBtn.disabled = !file;
  });

  async function run(dry) {
    if (!file) return;
    if (!dry) {
      if (!checked || checked.file !== file) return;
      if (!(await confirmDialog(t('a.imp.confirm', { c: checked.created, u: checked.updated }), { okText: t('a.imp.submit') }))) return;
    }
    dryBtn.disabled = true; goBtn.disabled = true;
    result.replaceChildren(loading(dry ? t('a.imp.checking') : t('a.imp.importing')));
    const fd = new FormData();
    fd.append('file', file, file.name);
    try {
      const r = await api('POST', '/enterprises/import', fd, { query: { dry_run: dry ? 'true' : 'false' } });
      const created = r.created ?? 0; const updated = r.updated ?? 0;
      if (dry) {
        checked = { file, created, updated };
        result.replaceChildren(h('div', { class: 'notice notice-success', 'data-testid': 'import-summary' }, icon('check'), h('span', null, t('a.imp.dryOk', { c: created, u: updated }))));
        goBtn.disabled = false;
      } else {
        checked = null;
        invalidate('enterprise:');
        result.replaceChildren(h('div', { class: 'notice notice-success', 'data-testid': 'import-summary' }, icon('check'), h('span', null, t('a.imp.done', { c: created, u: updated }))),
          h('a', { class: 'btn btn-ghost btn-small', href: '#/a/enterprises' }, t('a.ent.title')));
        toast(t('a.imp.done', { c: created, u: updated }), 'success');
      }
    } catch (err) {
      checked = null;
      const rows = err instanceof ApiError ? err.rows : null;
      if (rows && rows.length) {
        result.replaceChildren(
          h('div', { class: 'notice notice-warn', role: 'alert', 'data-testid': 'import-summary' }, icon('alert'), h('span', null, t('a.imp.rejected', { n: rows.length }))),
          table('import-errors', [{ label: t('a.imp.row'), cls: 'num' }, t('a.imp.column'), t('a.imp.message')],
            h('tbody', null, rows.map((x) => h('tr', { 'data-testid': 'import-error-row' }, td(String(x.row ?? ''), 'num'), td(x.column || '—'), td(zhMsg(x.message || '')))))));
      } else {
        result.replaceChildren(h('div', { class: 'form-error', role: 'alert', 'data-testid': 'import-summary' }, errorMessage(err)));
      }
    } finally {
      dryBtn.disabled = !file;
    }
  }

  const body = h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('a.imp.title')),
    h('ol', { class: 'sa-steps' },
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '1'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step1')), h('p', { class: 'muted sf-small' }, t('a.imp.step1Hint')),
        btn(t('a.imp.template'), (e) => { const b = e.currentTarget; b.disabled = true; download('/enterprises/import-template.xlsx').catch((er) => toast(errorMessage(er), 'error')).finally(() => { b.disabled = false; }); },
          { testid: 'import-template', ic: 'download' }))),
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '2'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step2')),
        h('div', { class: 'sa-file' }, h('label', { class: 'btn btn-ghost btn-small', for: 'sa-import-file' }, icon('file'), t('a.imp.pick')), fileIn, fileName))),
      h('li', { class: 'sa-step' }, h('span', { class: 'sa-step-no' }, '3'), h('div', { class: 'sa-step-body' },
        h('strong', null, t('a.imp.step3')), h('p', { class: 'muted sf-small' }, t('a.imp.step3Hint')),
        h('div', { class: 'btn-row' }, dryBtn, goBtn), result))));
  return adminPage(t('a.ent.import'), body, { back: '#/a/enterprises' });
}

// ---------------------------------------------------------------------------------------------
// Categories

async function categoriesPage() {
  const box = h('div', null, loading());
  async function load() {
    invalidate('categories');
    box.replaceChildren(loading());
    try {
      const [cats, depts] = await Promise.all([directory.categories(), directory.departments()]);
      const dn = nameMap(depts);
      const sorted = cats.slice().sort((a, b) => (a.disabled - b.disabled) || a.name.localeCompare(b.name, 'zh'));
      box.replaceChildren(sorted.length ? table('categories-table', [t('a.cat.name'), t('a.cat.department'), { label: t('a.cat.daysShort'), cls: 'num' }, t('a.common.status'), { label: t('a.common.actions'), cls: 'sa-actions' }],
        h('tbody', null, sorted.map((c) => h('tr', { 'data-testid': 'categories-row', 'data-id': c.id, class: c.disabled && 'is-disabled' },
          td(c.name, 'sa-name'),
          td(c.default_department_id ? dn.get(c.default_department_id) || '—' : h('span', { class: 'muted' }, t('a.cat.noDepartment'))),
          td(t('a.cat.daysUnit', { n: c.deadline_days }), 'num'),
          td(h('span', { class: ['tag', c.disabled ? 'tag-off' : 'tag-on'] }, c.disabled ? t('a.common.disabled') : t('a.common.active'))),
          td(h('div', { class: 'btn-row' },
            btn(t('a.common.edit'), () => edit(c, depts), { testid: 'cat-edit' }),
            c.disabled ? btn(t('a.common.enable'), () => toggle(c, false), { testid: 'cat-enable' })
              : btn(t('a.common.disable'), () => toggle(c, true), { testid: 'cat-disable', cls: 'btn-ghost btn-small btn-danger-text' })), 'sa-actions')))))
        : empty(t('a.cat.empty')));
    } catch (err) { box.replaceChildren(errorState(err, load)); }
  }
  async function toggle(c, disabled) {
    if (disabled && !(await confirmDialog(t('a.cat.disableConfirm', { name: c.name }), { danger: true, okText: t('a.common.disable') }))) return;
    try {
      await api('PATCH', `/categories/${encodeURIComponent(c.id)}`, { disabled });
      toast(t('a.common.saved'), 'success');
      load();
    } catch (err) { toast(errorMessage(err), 'error'); }
  }
  async function edit(c, depts) {
    if (!depts) depts = await directory.departments();
    const r = await formDialog({
      title: c ? t('a.cat.edit') : t('a.cat.create'), okText: t('common.save'), action: c ? 'cat-edit' : 'cat-create', duplicateField: 'name',
      fields: [
        field(t('a.cat.name'), textInput('name', { max: 100, testid: 'cat-name', value: c ? c.name : '' }), null, { required: true }),
        field(t('a.cat.department'), selectInput('default_department_id', deptSelectOptions(depts, { placeholder: t('a.cat.noDepartment'), selected: c ? c.default_department_id : '' }), { testid: 'cat-department' })),
        field(t('a.cat.days'), textInput('deadline_days', { type: 'number', testid: 'cat-deadline-days', value: c ? String(c.deadline_days) : '5', inputmode: 'numeric', min: '1', maxNum: '365' }), t('a.cat.daysHint'), { required: true }),
      ],
      submit: async (form, v) => {
        checkFields(v, { name: { required: true, max: 100 }, deadline_days: { required: true, int: [1, 365] } });
        const body = diff(c, { name: v.name.trim(), default_department_id: v.default_department_id || null, deadline_days: Number(v.deadline_days) }, ['default_department_id']);
        if (!c) return api('POST', '/categories', body);
        if (!Object.keys(body).length) return true;
        return api('PATCH', `/categories/${encodeURIComponent(c.id)}`, body);
      },
    });
    if (r) { toast(c ? t('a.common.saved') : t('a.common.created'), 'success'); load(); }
  }
  load();
  return adminPage(t('a.cat.title'), [
    head(t('a.cat.title'), btn(t('a.cat.create'), () => edit(null), { cls: 'btn-primary btn-small', testid: 'cat-create', ic: 'plus' })),
    box]);
}

// ---------------------------------------------------------------------------------------------
// Holiday calendar

/** The TOML of a year, as docs/deadlines.md writes it. */
function toToml(year, holidays) {
  const q = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const lines = [`# 国务院办公厅关于${year}年部分节假日安排的通知`, `year = ${year}`];
  for (const x of holidays || []) {
    lines.push('', '[[holidays]]', `name = ${q(x.name)}`, `from = ${q(x.from)}`, `to = ${q(x.to)}`);
    if (x.workdays && x.workdays.length) lines.push(`workdays = [${x.workdays.map(q).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** Parses the subset of TOML the calendar files use. Throws Error with .line. */
export function parseCalendarToml(text) {
  const src = String(text || '');
  const trimmed = src.trim();
  if (trimmed.startsWith('{')) {
    const j = JSON.parse(trimmed);
    return { year: j.year, holidays: j.holidays || [] };
  }
  const out = { year: undefined, holidays: [] };
  let cur = out;
  const lines = src.split(/\r?\n/);
  const fail = (line, msg) => { const e = new Error(msg); e.line = line; throw e; };
  const stripComment = (s) => {
    let inStr = false; let quote = '';
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (inStr) { if (c === '\\' && quote === '"') { i++; continue; } if (c === quote) inStr = false; } else if (c === '"' || c === "'") { inStr = true; quote = c; } else if (c === '#') return s.slice(0, i);
    }
    return s;
  };
  const parseValue = (raw, ln) => {
    const v = raw.trim();
    if (/^-?\d+$/.test(v)) return Number(v);
    if (/^"(?:[^"\\]|\\.)*"$/.test(v)) return JSON.parse(v);
    if (/^'[^']*'$/.test(v)) return v.slice(1, -1);
    if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v; // a bare TOML local date
    if (v.startsWith('[') && v.endsWith(']')) {
      const inner = v.slice(1, -1).trim();
      if (!inner) return [];
      const items = [];
      const re = /\s*("(?:[^"\\]|\\.)*"|'[^']*'|\d{4}-\d{2}-\d{2})\s*(,|$)/y;
      let m; let pos = 0;
      while (pos < inner.length) {
        re.lastIndex = pos;
        m = re.exec(inner);
        if (!m) fail(ln, `bad array: ${v}`);
        items.push(parseValue(m[1], ln));
        pos = re.lastIndex;
        if (!m[2]) break;
        if (!inner.slice(pos).trim()) break;
      }
      return items;
    }
    if (v === 'true' || v === 'false') return v === 'true';
    return fail(ln, `bad value: ${v}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    let line = stripComment(lines[i]).trim();
    if (!line) continue;
    if (line === '[[holidays]]') { cur = {}; out.holidays.push(cur); continue; }
    if (line.startsWith('[')) fail(ln, `unknown table ${line}`);
    const eq = line.indexOf('=');
    if (eq < 1) fail(ln, `expected key = value`);
    const key = line.slice(0, eq).trim().replace(/^"|"$/g, '');
    let val = line.slice(eq + 1).trim();
    // multi-line arrays
    if (val.startsWith('[') && !val.endsWith(']')) {
      while (i + 1 < lines.length) {
        i++;
        val += ` ${stripComment(lines[i]).trim()}`;
        if (val.trim().endsWith(']')) break;
      }
      val = val.replace(/,\s*\]$/, ']');
    }
    cur[key] = parseValue(val, ln);
  }
  return out;
}

function holidaysTable(holidays) {
  const span = (a, b) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000) + 1;
  return table('calendar-holidays', [t('a.cal.h.name'), t('a.cal.h.from'), t('a.cal.h.to'), { label: t('a.cal.h.days'), cls: 'num' }, t('a.cal.h.workdays')],
    h('tbody', null, (holidays || []).map((x) => h('tr', null, td(x.name, 'sa-name'), td(x.from, 'mono'), td(x.to, 'mono'),
      td(validYmd(x.from) && validYmd(x.to) ? String(span(x.from, x.to)) : '', 'num'), td((x.workdays || []).join('、') || '—')))));
}

async function calendarPage() {
  const box = h('div', null, loading());
  async function load() {
    box.replaceChildren(loading());
    try {
      const r = await api('GET', '/calendar/years');
      const years = (r.years || []).slice().sort((a, b) => b.year - a.year);
      box.replaceChildren(
        r.missing && r.missing.length ? h('div', { class: 'notice notice-warn sa-missing', role: 'alert', 'data-testid': 'calendar-missing' }, icon('alert'),
          h('span', null, t('a.cal.missing', { years: r.missing.join('、') }))) : null,
        table('calendar-years', [t('a.cal.year'), t('a.cal.source'), { label: t('a.cal.holidays'), cls: 'num' }, { label: t('a.common.actions'), cls: 'sa-actions' }],
          h('tbody', null, years.map((y) => h('tr', { 'data-testid': 'calendar-row', 'data-year': String(y.year) },
            td(String(y.year), 'sa-name'), td(t(`a.cal.src.${y.source}`)), td(String((y.holidays || []).length), 'num'),
            td(h('a', { class: 'btn btn-ghost btn-small', href: `#/a/calendar/${y.year}`, 'data-testid': 'calendar-view' }, t('a.cal.view')), 'sa-actions'))))));
      return r;
    } catch (err) { box.replaceChildren(errorState(err, load)); return null; }
  }
  const pending = load();
  const up = btn(t('a.cal.upload'), async () => {
    const r = await pending;
    const missing = r && r.missing && r.missing[0];
    const next = missing || (r && r.years && r.years.length ? Math.max(...r.years.map((y) => y.year)) + 1 : new Date().getFullYear() + 1);
    const saved = await uploadDialog(next, null);
    if (saved) load();
  }, { cls: 'btn-primary btn-small', testid: 'calendar-upload', ic: 'plus' });
  return adminPage(t('a.cal.title'), [head(t('a.cal.title'), up), box]);
}

async function uploadDialog(year, existing) {
  const yearIn = textInput('year', { type: 'number', testid: 'calendar-year', value: String(year), inputmode: 'numeric', min: '2000', maxNum: '2100' });
  const ta = h('textarea', { name: 'toml', class: 'textarea sa-toml-input', rows: '14', spellcheck: 'false', 'data-testid': 'calendar-toml-input', 'data-field': 'holidays',
    value: existing ? toToml(year, existing.holidays) : toToml(year, []).replace(/\n$/, '\n\n[[holidays]]\nname = "元旦"\nfrom = ""\nto = ""\n') });
  const fileIn = h('input', { type: 'file', accept: '.toml,text/plain', class: 'sr-only', id: 'sa-cal-file', 'data-testid': 'calendar-file' });
  const preview = h('div', { 'data-testid': 'calendar-preview' });
  fileIn.addEventListener('change', async () => {
    const f = fileIn.files && fileIn.files[0];
    if (!f) return;
    ta.value = await f.text();
    try { const p = parseCalendarToml(ta.value); if (p.year) yearIn.value = String(p.year); } catch { /* shown on preview */ }
  });
  const parse = (form) => {
    clearFieldErrors(form);
    let p;
    try { p = parseCalendarToml(ta.value); } catch (e) {
      throw localError({ holidays: e.line ? t('a.cal.parseError', { line: e.line, msg: e.message }) : e.message });
    }
    if (!p.holidays.length) throw localError({ holidays: t('a.cal.parseEmpty') });
    const y = Number(yearIn.value);
    if (p.year !== undefined && Number(p.year) !== y) throw localError({ year: t('a.cal.yearMismatch') });
    const holidays = p.holidays.map((x) => {
      const o = { name: x.name, from: x.from, to: x.to };
      if (x.workdays && x.workdays.length) o.workdays = x.workdays;
      return o;
    });
    return { year: y, holidays };
  };
  return formDialog({
    title: t('a.cal.uploadTitle'), okText: t('a.cal.save'), wide: true, action: 'calendar-upload',
    fields: [
      h('p', { class: 'muted sf-small' }, t('a.cal.uploadHint')),
      field(t('a.cal.year'), yearIn, null, { required: true }),
      field(t('a.cal.toml'), ta, null, { required: true }),
      h('div', { class: 'btn-row' },
        h('label', { class: 'btn btn-ghost btn-small', for: 'sa-cal-file' }, icon('file'), t('a.cal.pickFile')), fileIn,
        h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'calendar-parse', onclick: (e) => {
          const form = e.currentTarget.closest('form');
          try { const body = parse(form); preview.replaceChildren(holidaysTable(body.holidays)); } catch (err) { preview.replaceChildren(); showFieldErrors(form, err); }
        } }, t('a.cal.parse'))),
      preview,
    ],
    submit: async (form, v) => {
      checkFields(v, { year: { required: true, int: [2000, 2100] } });
      const body = parse(form);
      preview.replaceChildren(holidaysTable(body.holidays));
      if (!(await confirmDialog(t('a.cal.confirm', { year: body.year, n: body.holidays.length }), { okText: t('a.cal.save') }))) throw Object.assign(new Error('cancelled'), { silent: true });
      const r = await api('PUT', `/calendar/years/${body.year}`, body);
      toast(t('a.cal.saved', { year: body.year }), 'success');
      return r || true;
    },
  });
}

async function calendarYearPage(params) {
  const year = Number(params.year);
  const r = await api('GET', '/calendar/years');
  const y = (r.years || []).find((x) => x.year === year);
  if (!y) {
    return adminPage(t('a.cal.yearTitle', { year: params.year }), [
      empty(t('a.cal.notFound', { year: params.year }), btn(t('a.cal.upload'), async () => { if (await uploadDialog(year, null)) navigate(`#/a/calendar/${year}`); }, { cls: 'btn-primary btn-small', testid: 'calendar-upload' }))], { back: '#/a/calendar' });
  }
  const replace = btn(t('a.cal.replace'), async () => { if (await uploadDialog(year, y)) navigate(`#/a/calendar/${year}`); }, { cls: 'btn-primary btn-small', testid: 'calendar-upload', ic: 'refresh' });
  return adminPage(t('a.cal.yearTitle', { year }), [
    head(`${t('a.cal.yearTitle', { year })} · ${t(`a.cal.src.${y.source}`)}`, replace),
    h('section', { class: 'card' }, holidaysTable(y.holidays)),
    h('section', { class: 'card' }, h('h3', { class: 'card-title' }, t('a.cal.fileTitle')), h('pre', { class: 'sa-toml', 'data-testid': 'calendar-toml' }, toToml(year, y.holidays))),
  ], { back: '#/a/calendar' });
}

// ---------------------------------------------------------------------------------------------
// Notification outbox

const NTF_STATUS = ['pending', 'sending', 'sent', 'failed'];
const NTF_EVENTS = ['ticket_filed', 'ticket_assigned', 'ticket_returned', 'ticket_urged', 'ticket_resolved', 'ticket_reopened', 'ticket_rejected', 'sms_code'];

async function notificationsPage(params, query) {
  let status = NTF_STATUS.includes(query.status) ? query.status : '';
  let channel = ['email', 'sms'].includes(query.channel) ? query.channel : '';
  let event = NTF_EVENTS.includes(query.event) ? query.event : '';
  const counts = h('div', { class: 'sa-counts' });
  const box = h('div');
  let list = null;

  const statusSel = h('select', { class: 'select', 'data-testid': 'notif-status', 'aria-label': t('a.common.status'), onchange: (e) => { status = e.target.value; go(); } },
    h('option', { value: '' }, t('a.ntf.allStatus')), NTF_STATUS.map((s) => h('option', { value: s, selected: s === status }, t(`a.ntf.st.${s}`))));
  const channelSel = h('select', { class: 'select', 'data-testid': 'notif-channel', 'aria-label': t('a.ntf.channel'), onchange: (e) => { channel = e.target.value; go(); } },
    h('option', { value: '' }, t('a.ntf.allChannels')), ['sms', 'email'].map((c) => h('option', { value: c, selected: c === channel }, t(`a.ntf.ch.${c}`))));
  const eventSel = h('select', { class: 'select', 'data-testid': 'notif-event', 'aria-label': t('a.ntf.event'), onchange: (e) => { event = e.target.value; go(); } },
    h('option', { value: '' }, t('a.ntf.allEvents')), NTF_EVENTS.map((c) => h('option', { value: c, selected: c === event }, t(`a.ntf.ev.${c}`))));
  const toolbar = h('div', { class: 'toolbar sa-toolbar' }, statusSel, channelSel, eventSel,
    h('span', { class: 'toolbar-spacer' }),
    btn(t('s.refresh'), () => go(), { testid: 'notif-refresh', ic: 'refresh' }));

  async function loadCounts() {
    try {
      const c = await api('GET', '/notifications/counts');
      const card = (key, label, n, cls) => h('button', { type: 'button', class: ['sa-kpi', cls, (status || '') === key && 'active'], 'data-testid': `notif-count-${key || 'total'}`,
        onclick: () => { status = key; statusSel.value = key; go(); } },
      h('span', { class: 'sa-kpi-label' }, label), h('span', { class: 'sa-kpi-value' }, String(n ?? 0)));
      counts.replaceChildren(card('', t('a.ntf.total'), c.total), ...NTF_STATUS.map((s) => card(s, t(`a.ntf.st.${s}`), c.by_status && c.by_status[s], s === 'failed' && c.by_status && c.by_status.failed ? 'is-failed' : null)));
    } catch (err) {
      counts.replaceChildren(h('div', { class: 'muted sf-small' }, t('a.ntf.countsFailed')));
    }
  }

  function statusTagN(s) { return h('span', { class: ['tag', `tag-${s}`] }, t(`a.ntf.st.${s}`)); }

  function row(n) {
    const tr = h('tr', { 'data-testid': 'notif-row', 'data-id': n.id, 'data-status': n.status });
    const fill = (x) => {
      tr.setAttribute('data-status', x.status);
      tr.replaceChildren(
        td(fmtDateTime(x.created_at), 'sa-nowrap'),
        td(t(`a.ntf.ch.${x.channel}`), 'sa-nowrap'),
        td(h('div', null, h('div', null, x.recipient_name || ''), h('div', { class: 'muted sf-small mono' }, x.recipient))),
        td(t(`a.ntf.ev.${x.event}`) === `a.ntf.ev.${x.event}` ? x.event : t(`a.ntf.ev.${x.event}`), 'sa-nowrap'),
        td(h('div', { class: 'sa-clip', title: x.subject || x.body || '' }, x.subject || x.body || '')),
        td(statusTagN(x.status)),
        td(String(x.attempts ?? 0), 'num'),
        td(x.last_error ? h('div', { class: 'sa-err' }, x.last_error) : ''),
        td(h('div', { class: 'btn-row' },
          btn(t('a.ntf.view'), () => view(x), { testid: 'notif-view' }),
          x.status === 'failed' ? btn(t('a.ntf.retry'), async (e) => {
            const b = e.currentTarget; b.disabled = true;
            try {
              const nx = await api('POST', `/notifications/${encodeURIComponent(x.id)}/retry`);
              toast(t('a.ntf.retried'), 'success');
              fill(nx || { ...x, status: 'pending', attempts: 0 });
              loadCounts();
            } catch (err) {
              b.disabled = false;
              toast(errorMessage(err), 'error');
              if (err instanceof ApiError && err.code === 'not_failed') go();
            }
          }, { testid: 'notif-retry', cls: 'btn-primary btn-small' }) : null), 'sa-actions'));
    };
    fill(n);
    return tr;
  }

  async function view(n) {
    let x = n;
    try { x = await api('GET', `/notifications/${encodeURIComponent(n.id)}`); } catch { /* show what we have */ }
    const kv = (label, value) => (value === null || value === undefined || value === '' ? null : h('div', { class: 'sf-kv' }, h('dt', null, label), h('dd', null, value)));
    await formDialog({
      title: t('a.ntf.detail'), okText: t('common.close'), wide: true, action: 'notif-view',
      fields: [
        h('dl', { class: 'sf-kvs sa-kvs' },
          kv(t('a.ntf.channel'), t(`a.ntf.ch.${x.channel}`)),
          kv(t('a.ntf.recipient'), `${x.recipient_name || ''} ${x.recipient}`),
          kv(t('a.ntf.event'), x.event),
          kv(t('a.common.status'), statusTagN(x.status)),
          kv(t('a.ntf.attempts'), String(x.attempts ?? 0)),
          kv(t('a.ntf.time'), fmtDateTime(x.created_at)),
          kv(t('a.ntf.sentAt'), fmtDateTime(x.sent_at)),
          kv(t('a.ntf.next'), x.status === 'pending' || x.status === 'failed' ? fmtDateTime(x.next_attempt_at) : null),
          kv(t('a.ntf.provider'), x.provider_message_id),
          kv(t('a.ntf.error'), x.last_error),
          kv(t('a.ntf.ticket'), x.ticket_id ? h('a', { href: `#/d/tickets/${encodeURIComponent(x.ticket_id)}` }, t('a.ntf.view')) : null),
          kv(t('a.ntf.subject'), x.subject)),
        h('div', { class: 'sa-pre' }, x.body || ''),
      ],
      submit: async () => true,
    });
  }

  function go() {
    setHashQuery({ status, channel, event });
    loadCounts();
    list = pagedList({
      testid: 'notif-tbody', listTag: 'tbody', listClass: 'sa-tbody', emptyText: t('a.ntf.empty'),
      wrap: (tbody) => table('notif-table', [t('a.ntf.time'), t('a.ntf.channel'), t('a.ntf.recipient'), t('a.ntf.event'), t('a.ntf.content'), t('a.common.status'), { label: t('a.ntf.attempts'), cls: 'num' }, t('a.ntf.error'), { label: t('a.common.actions'), cls: 'sa-actions' }], tbody),
      load: (cursor) => api('GET', '/notifications', null, { query: { status: status || undefined, channel: channel || undefined, event: event || undefined, limit: 50, cursor } }),
      item: row,
    });
    box.replaceChildren(list.element);
  }
  go();
  return adminPage(t('a.ntf.title'), [counts, toolbar, box]);
}

// ---------------------------------------------------------------------------------------------
// Routes

export function register() {
  applyTabs();
  // Re-render (debounced) when the width crosses the desk breakpoint, so the side menu / tab bar matches.
  let rendered = desk.matches;
  let timer = null;
  const onChange = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (desk.matches === rendered) return;
      rendered = desk.matches;
      applyTabs();
      if (session.role() === 'admin' && document.querySelector('.sf-page .tabbar')) navigate(currentHash(), { replace: true });
    }, 400);
  };
  if (desk.addEventListener) desk.addEventListener('change', onChange);
  const admin = { roles: ['admin'] };
  route('#/a', dashboardPage, admin);
  route('#/a/manage', hubPage, admin);
  route('#/a/departments', departmentsPage, admin);
  route('#/a/users', usersPage, admin);
  route('#/a/enterprises', enterprisesPage, admin);
  route('#/a/enterprises/import', importPage, admin);
  route('#/a/categories', categoriesPage, admin);
  route('#/a/calendar', calendarPage, admin);
  route('#/a/calendar/:year', calendarYearPage, admin);
  route('#/a/notifications', notificationsPage, admin);
  route('#/a/me', () => mePage(false), admin);
}
