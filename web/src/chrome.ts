// The top bar: breadcrumbs naming where the user is, and the current page's actions.
import { append, h, link } from './dom.js';

export interface Crumb {
  label: string;
  href?: string;
}

export function setCrumbs(crumbs: Crumb[]): void {
  const nav = document.querySelector('.crumbs')!;
  nav.replaceChildren();
  crumbs.forEach((crumb, i) => {
    if (i > 0) append(nav, [h('span', { class: 'sep', attrs: { 'aria-hidden': 'true' } }, '›')]);
    const last = i === crumbs.length - 1;
    append(nav, [crumb.href && !last ? link(crumb.href, crumb.label) : h('span', { class: 'crumb', attrs: last ? { 'aria-current': 'page' } : {} }, crumb.label)]);
  });
  document.title = [...crumbs.map((c) => c.label).reverse(), 'sipladder'].join(' – ');
}

export function setActions(...nodes: Node[]): void {
  document.querySelector('.topbar-actions')!.replaceChildren(...nodes);
}
