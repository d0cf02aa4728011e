// The Express application: REST API (docs/API.md), share links, the static web page.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { allMethods, allResponses, RESPONSE_CLASSES } from '../src/knowledge/index.js';
import { bodyTimeout, securityHeaders, TokenBuckets } from './security.js';
import { hashToken, newShareSecret, newShareToken, SHARE_NOT_FOUND, ShareResolver } from './shares.js';
import type { CaptureDetail, CaptureRecord, ShareRecord, Store, BlobStore } from './store/Store.js';
import { receiveUpload, UploadError } from './upload.js';
import {
  aliasesBodySchema, callIdSchema, callIdListSchema, callsQuerySchema, captureIdSchema, createShareSchema, emptyQuerySchema,
  exportQuerySchema, HttpError, ladderQuerySchema, messageIdSchema, parse, searchQuerySchema, toCallQuery,
} from './validation.js';
import { CaptureViews, type Scope, type ShareAnonymizer } from './views.js';
import type { AnalysisProgress, AnalysisQueue } from './worker/AnalysisQueue.js';

export interface AppDependencies {
  store: Store;
  blobs: BlobStore;
  queue: AnalysisQueue;
  maxUploadBytes: number;
  /** Uploads received at once; more are refused with 503. */
  maxConcurrentUploads: number;
  /** A request body that receives nothing for this long is answered 408. */
  bodyTimeoutMs: number;
  webRoot: string;
}

/** JSON bodies are small (share requests, aliases). */
const JSON_BODY_LIMIT = '64kb';
/** SSE comment sent this often so proxies and browsers keep the stream open. */
const SSE_KEEPALIVE_MS = 15_000;
/** After refusing an upload, its remaining bytes are read and dropped this long, then the connection is cut. */
const REFUSED_UPLOAD_DRAIN_MS = 30_000;
/** Retry-After of an upload refused because too many are in progress: uploads take seconds to minutes. */
const UPLOADS_BUSY_RETRY_AFTER_SECONDS = 10;

export type CaptureSummary = CaptureRecord & { progress: AnalysisProgress | null };

function clientAddress(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Call-IDs of the `callIds` query parameter(s), read from the raw query: a literal comma
 * separates Call-IDs, and each is percent-decoded after splitting, so a comma inside a
 * Call-ID (sent as %2C) stays inside it.
 */
function rawCallIds(req: Request): string[] | undefined {
  const query = req.originalUrl.indexOf('?') >= 0 ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
  const values: string[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq) !== 'callIds') continue;
    for (const part of pair.slice(eq + 1).split(',')) {
      if (part.length === 0) continue;
      try {
        values.push(decodeURIComponent(part.replace(/\+/g, ' ')));
      } catch {
        throw new HttpError(400, "invalid query parameter 'callIds': bad percent-encoding");
      }
    }
  }
  return values.length > 0 ? parse(callIdListSchema, values, 'query parameter') : undefined;
}

/** The query without `callIds` (validated separately, from the raw query). */
function queryWithoutCallIds(req: Request): Record<string, unknown> {
  const { callIds: _callIds, ...rest } = req.query as Record<string, unknown>;
  return rest;
}

export function createApp(deps: AppDependencies): express.Express {
  const { store, blobs, queue } = deps;
  const views = new CaptureViews(store, blobs);
  // 30 misses in a burst, then one every 2 s.
  const shares = new ShareResolver(store, new TokenBuckets({ capacity: 30, refillPerSecond: 0.5 }));
  const json = express.json({ limit: JSON_BODY_LIMIT, strict: true });
  let uploadsInProgress = 0;

  const summary = (c: CaptureRecord): CaptureSummary => ({
    ...c,
    progress: c.status === 'analyzing' ? (queue.progress(c.id) ?? { bytes: 0, totalBytes: c.size, messages: 0 }) : null,
  });

  const detail = async (c: CaptureDetail) => ({ ...summary(c), file: c.file, stats: c.stats, warnings: c.warnings, aliases: await store.aliases(c.id) });

  /** The capture named by :id, or 404. */
  const captureOf = async (req: Request): Promise<CaptureDetail> => {
    const id = parse(captureIdSchema, req.params.id, 'capture id');
    const capture = await store.capture(id);
    if (capture === null) throw new HttpError(404, 'no such capture');
    return capture;
  };

  const requireReady = (capture: CaptureDetail): void => {
    if (capture.status === 'ready') return;
    throw new HttpError(409, capture.status === 'failed' ? `the analysis of this capture failed: ${capture.error}` : 'the capture is still being analysed');
  };

  const captureScope = async (req: Request): Promise<Scope> => {
    const capture = await captureOf(req);
    requireReady(capture);
    return { capture, callIds: null, messageId: null, anon: null };
  };

  const shareOf = async (req: Request): Promise<{ share: ShareRecord; capture: CaptureDetail }> => {
    const share = await shares.resolve(String(req.params.token), clientAddress(req));
    const capture = await store.capture(share.captureId);
    if (capture === null) throw new HttpError(404, SHARE_NOT_FOUND);
    return { share, capture };
  };

  const shareScope = async (req: Request): Promise<Scope> => {
    const { share, capture } = await shareOf(req);
    requireReady(capture);
    const anon: ShareAnonymizer | null = share.anonymize ? shares.anonymizer(share) : null;
    return { capture, callIds: share.callIds, messageId: share.messageId, anon };
  };

  const api = express.Router();

  // ---------------------------------------------------------------- captures

  api.get('/captures', async (req, res) => {
    parse(emptyQuerySchema, req.query, 'query parameter');
    res.json({ items: (await store.listCaptures()).map(summary) });
  });

  api.post('/captures', async (req, res) => {
    if (uploadsInProgress >= deps.maxConcurrentUploads) {
      refuseUpload(req, res, 503, 'too many uploads in progress; try again later', { 'Retry-After': String(UPLOADS_BUSY_RETRY_AFTER_SECONDS) });
      return;
    }
    if (queue.isFull()) {
      refuseUpload(req, res, 503, 'too many analyses are waiting; try again later', { 'Retry-After': String(queue.retryAfterSeconds()) });
      return;
    }
    let file;
    uploadsInProgress++;
    try {
      file = await receiveUpload(req, blobs, deps.maxUploadBytes);
    } catch (e) {
      if (!(e instanceof UploadError)) throw e;
      refuseUpload(req, res, e.status, e.message);
      return;
    } finally {
      uploadsInProgress--;
    }
    const { capture, created } = await store.addCapture(file);
    if (created || capture.status === 'failed') {
      if (!created) await store.queueAnalysis(capture.id);
      queue.enqueue({ captureId: capture.id, sha256: capture.sha256, name: capture.name, size: capture.size });
    }
    const current = (await store.capture(capture.id))!;
    res.status(created ? 202 : 200).json({ capture: summary(current), existing: !created });
  });

  api.get('/captures/:id', async (req, res) => {
    parse(emptyQuerySchema, req.query, 'query parameter');
    res.json(await detail(await captureOf(req)));
  });

  api.delete('/captures/:id', async (req, res) => {
    const capture = await captureOf(req);
    await queue.cancel(capture.id);
    await store.deleteCapture(capture.id);
    if (!(await store.isFileReferenced(capture.sha256))) await blobs.delete(capture.sha256);
    res.status(204).end();
  });

  api.post('/captures/:id/retry', async (req, res) => {
    const capture = await captureOf(req);
    if (capture.status !== 'failed') throw new HttpError(409, `only a failed analysis can be retried (this one is ${capture.status})`);
    if (!(await blobs.has(capture.sha256))) throw new HttpError(410, 'the stored capture file is missing');
    await store.queueAnalysis(capture.id);
    queue.enqueue({ captureId: capture.id, sha256: capture.sha256, name: capture.name, size: capture.size });
    res.status(202).json({ capture: summary((await store.capture(capture.id))!) });
  });

  api.put('/captures/:id/aliases', json, async (req, res) => {
    const capture = await captureOf(req);
    const { aliases } = parse(aliasesBodySchema, req.body, 'body');
    await store.setAliases(capture.id, aliases);
    res.json({ aliases: await store.aliases(capture.id) });
  });

  api.get('/captures/:id/events', async (req, res) => {
    const capture = await captureOf(req);
    const id = capture.id;
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' });
    let ended = false;
    const send = (event: string, data: unknown) => {
      if (!ended) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const onProgress = (cid: number, p: AnalysisProgress) => {
      if (cid === id) send('progress', { phase: 'analysis', ...p });
    };
    const onReady = (cid: number) => {
      if (cid === id) void store.capture(id).then((c) => finish('ready', c ? summary(c) : null));
    };
    const onFailed = (cid: number, reason: string) => {
      if (cid === id) finish('failed', { reason });
    };
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
    const stop = () => {
      clearInterval(keepAlive);
      queue.off('progress', onProgress);
      queue.off('ready', onReady);
      queue.off('failed', onFailed);
    };
    function finish(event: string, data: unknown) {
      send(event, data);
      ended = true;
      stop();
      res.end();
    }
    queue.on('progress', onProgress);
    queue.on('ready', onReady);
    queue.on('failed', onFailed);
    req.on('close', stop);
    // Read again now that the listeners are on: an outcome reached meanwhile is not missed.
    const now = await store.capture(id);
    if (now === null) finish('failed', { reason: 'the capture was deleted' });
    else if (now.status === 'ready') finish('ready', summary(now));
    else if (now.status === 'failed') finish('failed', { reason: now.error });
    else send('progress', { phase: 'analysis', ...summary(now).progress });
  });

  api.use('/captures/:id', viewRoutes(views, captureScope));

  // ---------------------------------------------------------------- shares

  api.post('/shares', json, async (req, res) => {
    const body = parse(createShareSchema, req.body, 'body');
    const capture = await store.capture(body.captureId);
    if (capture === null) throw new HttpError(404, 'no such capture');
    requireReady(capture);
    let callIds = body.callIds === undefined ? null : [...new Set(body.callIds)];
    if (callIds !== null && (await store.calls(capture.id, callIds)).length !== callIds.length) throw new HttpError(400, 'some Call-ID is not in this capture');
    if (body.messageId !== undefined) {
      const stored = await store.message(capture.id, body.messageId);
      const callId = stored?.message.callId ?? null;
      if (callId === null) throw new HttpError(400, 'no such message in a call of this capture');
      if (callIds === null) callIds = [callId];
      else if (!callIds.includes(callId)) throw new HttpError(400, 'the message is not in the shared calls');
    }
    const token = newShareToken();
    const now = new Date();
    const expiresAt = body.expiresInSeconds === undefined ? null : new Date(now.getTime() + body.expiresInSeconds * 1000).toISOString();
    await store.createShare({
      tokenHash: hashToken(token),
      captureId: capture.id,
      callIds,
      messageId: body.messageId ?? null,
      anonymize: body.anonymize,
      secret: newShareSecret(),
      createdAt: now.toISOString(),
      expiresAt,
      revokedAt: null,
    });
    res.status(201).json({ token, url: `/s/${token}`, expiresAt });
  });

  api.delete('/shares/:token', async (req, res) => {
    const share = await shares.resolve(String(req.params.token), clientAddress(req));
    await store.revokeShare(share.tokenHash, new Date().toISOString());
    shares.forget(share.tokenHash);
    res.status(204).end();
  });

  api.get('/s/:token', async (req, res) => {
    parse(emptyQuerySchema, req.query, 'query parameter');
    const { share, capture } = await shareOf(req);
    const full = await detail(capture);
    if (!share.anonymize) {
      res.json({ view: { captureId: capture.id, callIds: share.callIds ?? [], messageId: share.messageId, anonymized: false }, capture: full });
      return;
    }
    const anon = shares.anonymizer(share);
    const a = anon.anonymizer;
    // The file's name and digest could identify it; host aliases are the owner's names.
    const name = `capture ${capture.id}`;
    res.json({
      view: { captureId: capture.id, callIds: (share.callIds ?? []).map((c) => a.callId(c)), messageId: share.messageId, anonymized: true },
      capture: {
        ...full,
        name,
        sha256: '',
        file: full.file === null ? null : { ...full.file, name },
        warnings: full.warnings.map((w) => ({ ...w, message: a.text(w.message) })),
        aliases: {},
      },
    });
  });

  api.use('/s/:token', viewRoutes(views, shareScope));

  // ---------------------------------------------------------------- knowledge

  api.get('/knowledge', (req, res) => {
    parse(emptyQuerySchema, req.query, 'query parameter');
    res.json({ methods: allMethods(), responses: allResponses(), classes: RESPONSE_CLASSES });
  });

  api.use((_req, _res) => {
    throw new HttpError(404, 'no such endpoint');
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(securityHeaders());
  app.use(bodyTimeout(deps.bodyTimeoutMs));
  app.use('/api', api);
  serveWeb(app, deps.webRoot);
  app.use(errorHandler);
  return app;
}

/** The read endpoints shared by a capture (/api/captures/:id/...) and a share (/api/s/:token/...). */
function viewRoutes(views: CaptureViews, scopeOf: (req: Request) => Promise<Scope>): Router {
  const r = express.Router({ mergeParams: true });
  r.get('/calls', async (req, res) => {
    const scope = await scopeOf(req);
    res.json(await views.calls(scope, toCallQuery(parse(callsQuerySchema, req.query, 'query parameter'))));
  });
  r.get('/calls/:callId', async (req, res) => {
    const scope = await scopeOf(req);
    parse(emptyQuerySchema, req.query, 'query parameter');
    res.json(await views.call(scope, parse(callIdSchema, req.params.callId, 'Call-ID')));
  });
  r.get('/ladder', async (req, res) => {
    const scope = await scopeOf(req);
    const { merge } = parse(ladderQuerySchema, queryWithoutCallIds(req), 'query parameter');
    res.json(await views.ladder(scope, rawCallIds(req), merge));
  });
  r.get('/messages/:msgId', async (req, res) => {
    const scope = await scopeOf(req);
    parse(emptyQuerySchema, req.query, 'query parameter');
    res.json(await views.message(scope, parse(messageIdSchema, req.params.msgId, 'message id')));
  });
  r.get('/search', async (req, res) => {
    const scope = await scopeOf(req);
    const { q, limit } = parse(searchQuerySchema, req.query, 'query parameter');
    res.json(await views.search(scope, q, limit));
  });
  r.get('/registrations', async (req, res) => {
    const scope = await scopeOf(req);
    parse(emptyQuerySchema, req.query, 'query parameter');
    res.json(await views.registrations(scope));
  });
  r.get('/anomalies', async (req, res) => {
    const scope = await scopeOf(req);
    parse(emptyQuerySchema, req.query, 'query parameter');
    res.json(await views.anomalies(scope));
  });
  r.get('/export.pcap', async (req, res) => {
    const scope = await scopeOf(req);
    parse(exportQuerySchema, queryWithoutCallIds(req), 'query parameter');
    const callIds = await views.exportCallIds(scope, rawCallIds(req));
    res.status(200).set({
      'Content-Type': 'application/vnd.tcpdump.pcap',
      'Content-Disposition': `attachment; filename="capture-${scope.capture.id}${callIds === null ? '' : '-calls'}.pcap"`,
    });
    await views.exportPcap(scope, callIds, res);
    res.end();
  });
  return r;
}

/**
 * Answers a refused upload. The client may still be sending: the rest of the body is read
 * and dropped (closing at once would reset the connection before the client reads the
 * answer), but only for a while; then the connection is cut.
 */
function refuseUpload(req: Request, res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
  // Already answered: the body timeout (408) closed the connection.
  if (res.headersSent) return;
  res.status(status).set(headers).json({ error: message });
  if (req.complete) return;
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), REFUSED_UPLOAD_DRAIN_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
}

/** The built page (web/dist) with index.html for every client route; a JSON 503 when it is not built. */
function serveWeb(app: express.Express, webRoot: string): void {
  const index = join(webRoot, 'index.html');
  app.use(express.static(webRoot, { index: false, dotfiles: 'ignore', redirect: false }));
  app.get(/^\/(?!assets\/).*/, (_req, res) => {
    if (!existsSync(index)) {
      res.status(503).json({ error: 'the web page is not built: run `npm run build`' });
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
  app.use((_req, _res) => {
    throw new HttpError(404, 'not found');
  });
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Every error becomes {error} with a status; details of unexpected ones go to the log, never to the client. */
function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    res.status(err.status).set(err.headers).json({ error: err.message });
    return;
  }
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const message = e.type === 'entity.parse.failed' ? 'malformed JSON body'
      : e.type === 'entity.too.large' ? 'the JSON body is too large'
        : e.expose && e.message ? e.message : 'bad request';
    res.status(status).json({ error: message });
    return;
  }
  process.stderr.write(`sipladder server: ${err instanceof Error ? err.stack : String(err)}\n`);
  res.status(500).json({ error: 'internal error' });
}
