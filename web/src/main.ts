// Entry point: styles, the router, and which page renders which route.
import './styles.css';
import { ApiError, captureScope, decodeCallIds, getJson, shareScope, type Scope } from './api.js';
import { setActions, setCrumbs } from './chrome.js';
import { errorBox, h, link, replaceChildren } from './dom.js';
import { matchRoute, startRouter, type Cleanup } from './router.js';
import { renderCaptures } from './pages/captures.js';
import { renderOverview } from './pages/overview.js';
import { renderCall } from './pages/call.js';
import { renderRegistrations } from './pages/registrations.js';
import type { CaptureDetail, ShareView } from './types.js';

const app = document.getElementById('app')!;
let cleanup: Cleanup | null = null;
let generation = 0;

export interface PageContext {
  app: HTMLElement;
  scope: Scope;
  capture: CaptureDetail;
  /** For a share link: what it shows. */
  share: ShareView['view'] | null;
  /** False once the user has navigated elsewhere: async work checks it before touching the page. */
  current(): boolean;
}

const shareViews = new Map<string, Promise<ShareView>>();

async function resolveScope(key: string, shared: boolean): Promise<{ scope: Scope; capture: CaptureDetail; share: ShareView['view'] | null }> {
  if (!shared) {
    const capture = await getJson<CaptureDetail>(captureScope(key).api);
    return { scope: captureScope(capture.id), capture, share: null };
  }
  let view = shareViews.get(key);
  if (!view) {
    view = getJson<ShareView>(`/api/s/${encodeURIComponent(key)}`);
    shareViews.set(key, view);
    view.catch(() => shareViews.delete(key));
  }
  const { view: shareView, capture } = await view;
  return { scope: shareScope(key, shareView.captureId, shareView.anonymized), capture, share: shareView };
}

async function render(): Promise<void> {
  cleanup?.();
  cleanup = null;
  const mine = ++generation;
  const current = () => mine === generation;
  setActions();
  const route = matchRoute(location.pathname);
  if (!route) {
    setCrumbs([{ label: 'Not found' }]);
    replaceChildren(app, h('h1', null, 'Page not found'), h('p', null, 'Nothing lives at this address. ', link('/', 'Go to the captures.')));
    return;
  }
  if (route.kind === 'captures') {
    cleanup = renderCaptures(app, current);
    return;
  }
  replaceChildren(app, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const { scope, capture, share } = await resolveScope(route.key, route.shared);
    if (!current()) return;
    const ctx: PageContext = { app, scope, capture, share, current };
    let kind = route.kind;
    let callIds = route.callIds === null ? null : decodeCallIds(route.callIds);
    // A share link of calls opens on its diagram.
    if (kind === 'capture' && share && share.callIds.length > 0) {
      kind = 'call';
      callIds = share.callIds;
    }
    if (kind === 'call' && callIds) cleanup = renderCall(ctx, callIds);
    else if (kind === 'registrations') cleanup = renderRegistrations(ctx);
    else cleanup = renderOverview(ctx);
  } catch (error) {
    if (!current()) return;
    const message = error instanceof ApiError && error.status === 404
      ? route.shared ? 'This share link does not exist, has expired or was revoked.' : 'This capture does not exist (it may have been deleted).'
      : `Could not load the page: ${(error as Error).message}`;
    setCrumbs([{ label: 'sipladder', href: '/' }, { label: 'Error' }]);
    replaceChildren(app, errorBox(message), h('p', null, link('/', 'Back to the captures')));
  }
}

startRouter(() => void render());
