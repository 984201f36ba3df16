// desk/validation.js — checking desk forms before they are sent, and the server's field messages
// (English) in Chinese: checkFields(values, {name: {required, max, int: [min, max]}}) throws
// localError(fields), an ApiError shaped like the server's 422; zhMsg(msg); localizeFields(err).

import { t, lang } from '../core/i18n.js';
import { ApiError } from '../core/errors.js';

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
export function localizeFields(err) {
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
