// core/dom.js — the DOM builder: h() for HTML elements, svg() for SVG. String children become
// text nodes, never markup; there is no way to inject HTML (docs/frontend.md, 'Security').
//
//   h(tag, attrs?, ...children)   attrs: class (string|array), on<event>: fn, ref: fn(el),
//                                 value/checked/selected/indeterminate/defaultValue as properties,
//                                 the rest with setAttribute; 'style' and javascript: URLs are refused.
//   svg(tag, attrs?, ...children) the same for SVG elements.

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

/**
 * A search's highlight pieces (`[{text, hit}]`, docs/api.md "Search") as nodes: each hit in a
 * <mark>, the rest as text. Never HTML: the pieces are the ticket's own text.
 */
export function marked(pieces) {
  return (pieces || []).map((p) => (p.hit ? h('mark', { class: 'hit' }, p.text) : String(p.text)));
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
