// The SQLite schema as an ordered list of migrations. PRAGMA user_version holds how many
// have been applied; each runs in its own transaction, so a crash leaves the database at
// one version or the next. Append new steps; never edit an applied one.
import type { Database } from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: captures, their analysis, host aliases and share links.
  `
  CREATE TABLE captures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('analyzing', 'ready', 'failed')),
    error TEXT,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_time TEXT,
    last_time TEXT,
    packets INTEGER,
    messages INTEGER,
    calls INTEGER,
    registrations INTEGER,
    anomalies_info INTEGER NOT NULL DEFAULT 0,
    anomalies_warning INTEGER NOT NULL DEFAULT 0,
    anomalies_error INTEGER NOT NULL DEFAULT 0,
    file_json TEXT,
    stats_json TEXT,
    warnings_json TEXT
  );
  CREATE INDEX captures_sha256 ON captures(sha256);
  CREATE INDEX captures_status ON captures(status);

  -- pk = capture_id * 2^32 + id: one capture's messages are one contiguous key range, which
  -- the full-text index (keyed by the same rowid) can be restricted to.
  CREATE TABLE messages (
    pk INTEGER PRIMARY KEY,
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    time TEXT NOT NULL,
    call_id TEXT,
    label TEXT NOT NULL,
    head_json TEXT NOT NULL,
    raw BLOB NOT NULL,
    transaction_id INTEGER,
    dialog_id INTEGER,
    retransmission_of INTEGER
  );
  CREATE INDEX messages_call ON messages(capture_id, call_id);

  -- Substring search over raw text: trigram tokens, no second copy of the text.
  CREATE VIRTUAL TABLE messages_fts USING fts5(raw_text, tokenize = 'trigram', content = '', contentless_delete = 1);

  CREATE TABLE calls (
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT,
    final_status INTEGER,
    start_time REAL NOT NULL,
    duration REAL,
    pdd REAL,
    message_count INTEGER NOT NULL,
    caller TEXT NOT NULL,
    callee TEXT NOT NULL,
    caller_user TEXT,
    callee_user TEXT,
    parties_text TEXT NOT NULL,
    anomaly_kinds TEXT NOT NULL,
    PRIMARY KEY (capture_id, idx)
  ) WITHOUT ROWID;
  -- What a call holds, for the filters: "m:INVITE" (a method), "s:486" (a status code),
  -- "a:auth-loop" (an anomaly kind). One row each, found through the primary key.
  CREATE TABLE call_tags (
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (capture_id, tag, idx)
  ) WITHOUT ROWID;
  -- The Call documents apart from the narrow rows above, so that filters scanning many
  -- calls read little.
  CREATE TABLE call_documents (
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    data_json TEXT NOT NULL,
    PRIMARY KEY (capture_id, idx)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX calls_call_id ON calls(capture_id, call_id);
  CREATE INDEX calls_start ON calls(capture_id, start_time);
  CREATE INDEX calls_duration ON calls(capture_id, duration);
  CREATE INDEX calls_pdd ON calls(capture_id, pdd);
  CREATE INDEX calls_message_count ON calls(capture_id, message_count);
  CREATE INDEX calls_caller ON calls(capture_id, caller COLLATE NOCASE);
  CREATE INDEX calls_callee ON calls(capture_id, callee COLLATE NOCASE);
  CREATE INDEX calls_outcome ON calls(capture_id, outcome, start_time);
  CREATE INDEX calls_final_status ON calls(capture_id, final_status, start_time);
  CREATE INDEX calls_kind ON calls(capture_id, kind, start_time);

  CREATE TABLE transactions (
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    data_json TEXT NOT NULL,
    PRIMARY KEY (capture_id, id)
  ) WITHOUT ROWID;

  CREATE TABLE dialogs (
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    data_json TEXT NOT NULL,
    PRIMARY KEY (capture_id, id)
  ) WITHOUT ROWID;

  CREATE TABLE anomalies (
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    call_id TEXT,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    data_json TEXT NOT NULL,
    PRIMARY KEY (capture_id, id)
  ) WITHOUT ROWID;
  CREATE INDEX anomalies_call ON anomalies(capture_id, call_id);

  CREATE TABLE registrations (
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    data_json TEXT NOT NULL,
    PRIMARY KEY (capture_id, idx)
  ) WITHOUT ROWID;

  CREATE TABLE host_aliases (
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (capture_id, address)
  ) WITHOUT ROWID;

  CREATE TABLE shares (
    token_hash TEXT PRIMARY KEY,
    capture_id INTEGER NOT NULL REFERENCES captures(id) ON DELETE CASCADE,
    call_ids_json TEXT,
    message_id INTEGER,
    anonymize INTEGER NOT NULL,
    secret BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX shares_capture ON shares(capture_id);
  `,
  // 2: the user parts and display names of each capture, which anonymised shares learn first.
  `
  ALTER TABLE captures ADD COLUMN identities_json TEXT;
  `,
  // 3: the calls table answers its text filters through trigrams, and its outcome and final
  // status sorts straight from an index (see server/store/call-plan.ts).
  `
  -- rowid = capture_id * 2^32 + idx, as for messages. Kept up to date by triggers, so every
  -- path that writes or deletes calls (a cascade from captures included) keeps it right.
  CREATE VIRTUAL TABLE calls_fts USING fts5(caller_user, callee_user, call_id, parties,
    tokenize = 'trigram', content = '', contentless_delete = 1);
  INSERT INTO calls_fts (rowid, caller_user, callee_user, call_id, parties)
    SELECT capture_id * 4294967296 + idx, caller_user, callee_user, call_id, parties_text FROM calls;
  CREATE TRIGGER calls_fts_insert AFTER INSERT ON calls BEGIN
    INSERT INTO calls_fts (rowid, caller_user, callee_user, call_id, parties)
      VALUES (new.capture_id * 4294967296 + new.idx, new.caller_user, new.callee_user, new.call_id, new.parties_text);
  END;
  CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls BEGIN
    DELETE FROM calls_fts WHERE rowid = old.capture_id * 4294967296 + old.idx;
  END;
  -- (capture_id, outcome, idx) once the key is appended: the sort order itself, ties included.
  CREATE INDEX calls_outcome_order ON calls(capture_id, outcome);
  CREATE INDEX calls_final_status_order ON calls(capture_id, final_status);
  `,
  // 4: a share of some calls reads their registrations by Call-ID, not by walking the capture's;
  // the trigram indexes merge their segments less eagerly while an analysis writes them.
  `
  CREATE INDEX registrations_call ON registrations(capture_id, call_id);
  -- Each committed batch adds a segment to its index; with automerge 4 (the default) FTS5
  -- merges as soon as 4 segments share a level, and a message's ~500 trigrams were rewritten
  -- level after level: indexing took 4.2 s of CPU per 48 600 messages, 2.8 s with 16, the
  -- most FTS5 allows. Searches are not slower: crisismerge still bounds the segments per level.
  INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16);
  INSERT INTO calls_fts (calls_fts, rank) VALUES ('automerge', 16);
  `,
  // 5: the message text index is built after the analysis, in the background
  // (server/worker/TextIndexer.ts), and each capture records how far it reaches.
  `
  -- Messages whose id is below text_indexed are in messages_fts; the rest are searched by
  -- reading them. Captures analysed before this version were indexed while being analysed.
  ALTER TABLE captures ADD COLUMN text_indexed INTEGER NOT NULL DEFAULT 0;
  UPDATE captures SET text_indexed = messages WHERE status = 'ready' AND messages IS NOT NULL;
  -- Pending index data is written out as a new segment when it outgrows this, and at each
  -- commit: with the default (1 MiB) a 5000-message batch made several small segments, merged
  -- again and again; with 64 MiB it makes one, and indexing 226 800 messages took 9 to 10 s of
  -- CPU instead of 12 to 13.
  INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', 67108864);
  `,
  // 6: the analysis writes the calls' trigram index itself (SqliteAnalysisWriter.insertCall).
  `
  -- A trigger made each calls insert a statement that might need undoing apart from the
  -- transaction: SQLite journalled every page it touched in a statement journal, and FTS5,
  -- told of the statement's savepoint, flushed its pending terms as one segment per call.
  -- Inserted directly, in call order (see addCalls), the 35 000 calls of the 100 MB bench
  -- capture took 2 to 3 s less CPU and 1.4 s less system time to store.
  -- Deletes keep their trigger: a whole capture's calls go in one statement.
  DROP TRIGGER calls_fts_insert;
  `,
];

/** Brings the database to the latest schema; refuses a database written by a newer version. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`the database has schema version ${current}, newer than this program's ${MIGRATIONS.length}`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
