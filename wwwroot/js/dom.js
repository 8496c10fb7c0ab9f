// Tiny DOM helpers. Text always goes in through textContent, never as HTML, so nothing the
// service or a user supplies can become markup (the page runs under a strict CSP).

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an element: el('p', { class: 'note', dataset: { digit: 4 } }, 'text', child).
 * Attributes named on* are refused; 'style' is refused too (CSP): use classes or el.style.
 */
export function el(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** Same as el() in the SVG namespace. */
export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') || key === 'style') throw new Error(`el(): attribute "${key}" is not allowed`);
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of node. */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

const integer = new Intl.NumberFormat('en-US');
export const formatInt = (n) => integer.format(n);
export const formatPercent = (p, digits = 1) => `${(p * 100).toFixed(digits)}%`;

/** A CSS custom property of the document, for canvas drawing that follows the theme. */
export function cssVar(name, element = document.documentElement) {
  return getComputedStyle(element).getPropertyValue(name).trim();
}
