// Building DOM from data that is attacker-controlled (every SIP field is): text only ever goes
// in through text nodes, attributes through setAttribute with a fixed list of names, and
// behaviour through addEventListener. No innerHTML anywhere, no on* attributes (the CSP
// forbids inline script and this keeps it honest).

type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Attributes; `on*` names are refused. */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  dataset?: Record<string, string>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
  title?: string;
}

function setAttributes(el: Element, attrs: NonNullable<Props['attrs']>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (/^on/i.test(name)) throw new Error(`refusing event handler attribute ${name}`);
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** An element with text children. `h('a', {attrs: {href}}, 'text')`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.class) el.className = props.class;
    if (props.title) el.title = props.title;
    if (props.attrs) setAttributes(el, props.attrs);
    if (props.dataset) Object.assign(el.dataset, props.dataset);
    if (props.on) {
      for (const [type, listener] of Object.entries(props.on)) el.addEventListener(type, listener as EventListener);
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A same-origin link handled by the router (History API, no reload). */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { attrs: { href }, dataset: { route: '' } }, ...children);
}

/** A region that announces errors to assistive technology. */
export function errorBox(message: string): HTMLElement {
  return h('div', { class: 'error', attrs: { role: 'alert' } }, message);
}

/** Copies text to the clipboard; false where the browser refuses (then the caller shows it to select by hand). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Offers `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { attrs: { href: url, download: name } });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
