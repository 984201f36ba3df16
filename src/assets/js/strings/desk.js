// strings/desk.js — the Chinese and English of what the staff and admin pages share (desk/*.js):
// form checks, the refresh button and the account page (s.me.*). Added by staff/index.js and
// admin/index.js.

export const zh = {
  's.refresh': '刷新',
  's.me.title': '我的',
  's.me.username': '账号',
  's.me.role': '角色',
  's.me.department': '所在单位',
  's.me.phone': '手机号',
  's.me.email': '邮箱',
  's.me.notify': '通知设置',
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
};

export const en = {
  's.refresh': 'Refresh',
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
};
