// admin/calendar-toml.js — a year's holidays as the calendar files write them (docs/deadlines.md):
// toToml(year, holidays) and parseCalendarToml(text), the subset of TOML those files use (or JSON).

/** The TOML of a year, as docs/deadlines.md writes it. */
export function toToml(year, holidays) {
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
