// strings/traits-import.js — the Chinese and English of the import of enterprises' information
// (admin/traits-import.js, #/a/enterprises/traits: 规上/规下, 规模, 资质, 从业人数, 营业收入, 成立日期
// from a sheet) and of its link on the enterprise list. Added by admin/index.js.

export const zh = {
  'ti.link': '导入企业信息',
  'ti.pageTitle': '导入企业信息',
  'ti.title': '从 Excel 导入企业信息（政策匹配）',
  'ti.step1Hint': '列：统一社会信用代码（必填）、规上/规下、企业规模、企业资质、从业人数、营业收入、成立日期。模板第二页“填写说明”列出每列可填的值。留空的单元格不改动原有信息；企业资质填“无”表示不具备任何资质。',
  'ti.step3': '先检查，再导入',
  'ti.step3Hint': '检查不会写入任何数据。导入时逐行生效：正确的行写入并视为已核实，有问题的行不会改动，并列在下面。企业信息变化后，新符合条件的政策会自动推送给企业。',
  'ti.dryRun': '检查',
  'ti.submit': '导入',
  'ti.confirm': '确认导入？正确的行将写入并视为已核实，有问题的行不会改动。',
  'ti.dryReport': '检查完成：共 {rows} 行，将更新 {u} 家企业，{n} 家无变化，{x} 行有问题。',
  'ti.report': '导入完成：共 {rows} 行，已更新 {u} 家企业，{n} 家无变化，{x} 行未导入。',
  'ti.done': '已更新 {u} 家企业的信息',
  'ti.reason': '原因',
  'ti.back': '返回企业列表',
};

export const en = {
  'ti.link': 'Import information',
  'ti.pageTitle': 'Import enterprise information',
  'ti.title': 'Import enterprise information (policy matching) from Excel',
  'ti.step1Hint': 'Columns: 统一社会信用代码 (required), 规上/规下, 企业规模, 企业资质, 从业人数, 营业收入, 成立日期. The template\'s second sheet (填写说明) lists what each column takes. An empty cell leaves that item as it is; 无 in 企业资质 means none held.',
  'ti.step3': 'Check, then import',
  'ti.step3Hint': 'The check writes nothing. The import goes row by row: good rows are written as verified, refused rows change nothing and are listed below. Policies an enterprise newly fits are pushed to it.',
  'ti.dryRun': 'Check',
  'ti.submit': 'Import',
  'ti.confirm': 'Import? Good rows are written as verified; refused rows change nothing.',
  'ti.dryReport': 'Checked: {rows} rows; {u} enterprises would be updated, {n} unchanged, {x} rows refused.',
  'ti.report': 'Imported: {rows} rows; {u} enterprises updated, {n} unchanged, {x} rows not imported.',
  'ti.done': 'Updated the information of {u} enterprises',
  'ti.reason': 'Reason',
  'ti.back': 'Back to enterprises',
};
