-- 0001: the initial schema.
--
-- Times are INTEGER unix nanoseconds in UTC; 0 stands for the zero time.
-- Durations are INTEGER nanoseconds.

-- Feeds, config and chat alike, with their polling state in the same row so
-- that removing a feed removes its state. item_count is kept by triggers on
-- items so that listing feed health never counts a million rows.
CREATE TABLE feeds (
	name           TEXT PRIMARY KEY NOT NULL,
	url            TEXT NOT NULL,
	schedule       TEXT NOT NULL DEFAULT '',
	max_age_ns     INTEGER NOT NULL DEFAULT 0,
	source         TEXT NOT NULL CHECK (source IN ('config', 'chat')),
	etag           TEXT NOT NULL DEFAULT '',
	last_modified  TEXT NOT NULL DEFAULT '',
	last_poll      INTEGER NOT NULL DEFAULT 0,
	last_success   INTEGER NOT NULL DEFAULT 0,
	last_error     INTEGER NOT NULL DEFAULT 0,
	last_error_msg TEXT NOT NULL DEFAULT '',
	failures       INTEGER NOT NULL DEFAULT 0,
	next_poll      INTEGER NOT NULL DEFAULT 0,
	item_count     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Items have no foreign key to feeds: the items of a removed feed stay
-- stored and searchable. AUTOINCREMENT keeps IDs from ever being reused, so a
-- delivery or a match can never point at a different item after a cleanup.
CREATE TABLE items (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	feed       TEXT NOT NULL,
	guid       TEXT NOT NULL,
	link       TEXT NOT NULL DEFAULT '',
	title      TEXT NOT NULL DEFAULT '',
	summary    TEXT NOT NULL DEFAULT '',
	categories TEXT NOT NULL DEFAULT '', -- joined with U+001F
	author     TEXT NOT NULL DEFAULT '',
	published  INTEGER NOT NULL DEFAULT 0,
	first_seen INTEGER NOT NULL DEFAULT 0,
	routed     INTEGER NOT NULL DEFAULT 0,
	UNIQUE (feed, guid)
);
CREATE INDEX items_link ON items (link);
-- Newest-first scans walk this index (entries are ordered by published, then rowid).
CREATE INDEX items_published ON items (published);
-- Walks one feed's items newest first.
CREATE INDEX items_feed_published ON items (feed, published);
-- Covers "min(published) of the items first seen since", which bounds scans by Since.
CREATE INDEX items_first_seen ON items (first_seen, published);
-- Only unrouted items are indexed, so the router's queue stays small however many items are stored.
CREATE INDEX items_unrouted ON items (id) WHERE routed = 0;

-- Full-text index over the searchable text. It is contentless: the text
-- indexed is not the items' text but its folded words (NFKD, marks dropped,
-- lower case), written by the store in the same transaction as the item,
-- because SQLite's own diacritics folding covers Latin only and would leave
-- Київ unmatched by the folded word the query language produces. The index
-- stores only rowids (= items.id) and positions. Item text is never updated
-- after insertion; deleting an item deletes its index entry (trigger below).
CREATE VIRTUAL TABLE items_fts USING fts5 (
	title, summary, categories,
	content = '',
	contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
	UPDATE feeds SET item_count = item_count + 1 WHERE name = new.feed;
END;

CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
	DELETE FROM items_fts WHERE rowid = old.id;
	UPDATE feeds SET item_count = item_count - 1 WHERE name = old.feed;
END;

-- One row per item and topic it matched: a second AddMatch is a no-op.
CREATE TABLE matches (
	item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
	topic   TEXT NOT NULL,
	at      INTEGER NOT NULL,
	PRIMARY KEY (item_id, topic)
) WITHOUT ROWID;
CREATE INDEX matches_topic_at ON matches (topic, at);

-- A story goes to a channel once per topic, whichever feed carried it.
CREATE TABLE deliveries (
	channel   TEXT NOT NULL,
	topic     TEXT NOT NULL,
	story_key TEXT NOT NULL,
	item_id   INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
	at        INTEGER NOT NULL,
	PRIMARY KEY (channel, topic, story_key)
) WITHOUT ROWID;
CREATE INDEX deliveries_item ON deliveries (item_id);

-- Items waiting for a digest subscription (sub is news.Subscription.Key).
CREATE TABLE pending (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	sub     TEXT NOT NULL,
	topic   TEXT NOT NULL,
	item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
	at      INTEGER NOT NULL,
	UNIQUE (sub, topic, item_id)
);
CREATE INDEX pending_sub_at ON pending (sub, at, id);
CREATE INDEX pending_item ON pending (item_id);

-- Messages on their way to chat, sent per channel strictly in id order.
-- key is NULL when the message has none; NULLs never collide under UNIQUE.
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	channel      TEXT NOT NULL,
	key          TEXT UNIQUE,
	payload      TEXT NOT NULL, -- JSON of news.Message
	created      INTEGER NOT NULL DEFAULT 0,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	sent_at      INTEGER NOT NULL DEFAULT 0,
	failed_at    INTEGER NOT NULL DEFAULT 0
);
-- Only unsent messages are indexed: the dispatcher's lookups stay small however long the history.
CREATE INDEX outbox_pending ON outbox (channel, id) WHERE status = 'pending';

CREATE TABLE meta (
	key   TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
) WITHOUT ROWID;
