// History API routing (no hash): the URL always names the view, so it can be copied and
// opened elsewhere. The server answers every non-API path with index.html.
//   /                                      captures (upload and list)
//   /captures/:id                          capture overview, calls table (filters in the query)
//   /captures/:id/calls/:callIds?msg=N     ladder of one or several calls (Call-IDs comma-separated)
//   /captures/:id/registrations            registration review
//   /s/:token[/calls/:callIds|/registrations]  the same views of a share link, read-only

export type Cleanup = () => void;

export interface RouteMatch {
  kind: 'captures' | 'capture' | 'call' | 'registrations';
  /** Capture id, or share token when `shared`. */
  key: string;
  shared: boolean;
  callIds: string | null;
}

export function matchRoute(pathname: string): RouteMatch | null {
  const parts = pathname.split('/').filter(Boolean);
  if (parts.length === 0) return { kind: 'captures', key: '', shared: false, callIds: null };
  const [root, key, section, callIds] = parts;
  if ((root !== 'captures' && root !== 's') || !key) return null;
  const shared = root === 's';
  const decodedKey = decodeURIComponent(key);
  if (section === undefined) return { kind: 'capture', key: decodedKey, shared, callIds: null };
  if (section === 'calls' && callIds !== undefined && parts.length === 4) return { kind: 'call', key: decodedKey, shared, callIds };
  if (section === 'registrations' && parts.length === 3) return { kind: 'registrations', key: decodedKey, shared, callIds: null };
  return null;
}

let onNavigate: (() => void) | null = null;

export function startRouter(render: () => void): void {
  onNavigate = render;
  window.addEventListener('popstate', render);
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = (event.target as Element | null)?.closest?.('a[data-route]');
    if (!(a instanceof HTMLAnchorElement) || a.origin !== location.origin) return;
    event.preventDefault();
    navigate(a.pathname + a.search);
  });
  render();
}

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  onNavigate?.();
}

/** Updates the query of the current URL without a new history entry or a re-render (view state such as ?msg=). */
export function setQuery(params: Record<string, string | null>): void {
  const url = new URL(location.href);
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === '') url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  history.replaceState(null, '', url.pathname + url.search);
}
