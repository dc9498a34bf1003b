-- 0001: the initial schema, created in the first schema of the search_path.
--
-- Times are timestamptz; the zero time.Time is stored as itself,
-- 0001-01-01 00:00:00 UTC, so that every time column is NOT NULL and sorts
-- "none" first. Durations are bigint nanoseconds, as time.Duration counts.
--
-- Columns and tables marked "claims" are for several replicas sharing the
-- work (who holds a feed's poll or a channel's sends, and until when); the
-- store methods of the conformance suite do not use them.

-- Feeds, config and chat alike, with their polling state in the same row so
-- that removing a feed removes its state. item_count is kept by triggers on
-- items so that listing feed health never counts a million rows.
CREATE TABLE feeds (
	name           text PRIMARY KEY,
	url            text NOT NULL,
	schedule       text NOT NULL DEFAULT '',
	max_age_ns     bigint NOT NULL DEFAULT 0,
	source         text NOT NULL CHECK (source IN ('config', 'chat')),
	etag           text NOT NULL DEFAULT '',
	last_modified  text NOT NULL DEFAULT '',
	last_poll      timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
	last_success   timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
	last_error     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
	last_error_msg text NOT NULL DEFAULT '',
	failures       integer NOT NULL DEFAULT 0,
	next_poll      timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
	item_count     bigint NOT NULL DEFAULT 0,
	claimed_by     text,        -- claims: the replica polling the feed
	claimed_until  timestamptz  -- claims: when its claim lapses
);

-- Items have no foreign key to feeds: the items of a removed feed stay
-- stored and searchable. An identity never reuses a value, so a delivery or
-- a match can never point at a different item after a cleanup.
--
-- fts holds the item's folded words (title, summary, categories) as
-- lexemes without positions, built by the store with array_to_tsvector so
-- that no PostgreSQL parser or dictionary can split or change a word the
-- query language folded. It is NULL for the rare item whose words exceed
-- what one tsvector holds: such an item is a candidate for every search.
CREATE TABLE items (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	feed       text NOT NULL,
	guid       text NOT NULL,
	link       text NOT NULL DEFAULT '',
	title      text NOT NULL DEFAULT '',
	summary    text NOT NULL DEFAULT '',
	categories text[] NOT NULL DEFAULT '{}',
	author     text NOT NULL DEFAULT '',
	published  timestamptz NOT NULL,
	first_seen timestamptz NOT NULL,
	routed     boolean NOT NULL DEFAULT false,
	fts        tsvector,
	UNIQUE (feed, guid)
);
-- Newest-first scans walk these backwards (by published, then id).
CREATE INDEX items_published ON items (published, id);
CREATE INDEX items_feed_published ON items (feed, published, id);
-- Scans bounded by Since start here when few items are that recent.
CREATE INDEX items_first_seen ON items (first_seen);
-- Only unrouted items are indexed, so the router's queue stays small however many items are stored.
CREATE INDEX items_unrouted ON items (id) WHERE NOT routed;
CREATE INDEX items_fts ON items USING gin (fts);
-- Lets a word search add the unindexed items to the GIN matches cheaply.
CREATE INDEX items_fts_unindexed ON items (id) WHERE fts IS NULL;

-- item_count follows inserts and deletes of items, once per statement.
CREATE FUNCTION items_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE feeds f SET item_count = f.item_count + n.c
	FROM (SELECT feed, count(*) AS c FROM new_items GROUP BY feed) n
	WHERE f.name = n.feed;
	RETURN NULL;
END $$;

CREATE FUNCTION items_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE feeds f SET item_count = f.item_count - n.c
	FROM (SELECT feed, count(*) AS c FROM old_items GROUP BY feed) n
	WHERE f.name = n.feed;
	RETURN NULL;
END $$;

CREATE TRIGGER items_count_insert AFTER INSERT ON items
	REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION items_count_insert();
CREATE TRIGGER items_count_delete AFTER DELETE ON items
	REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION items_count_delete();

-- One row per item and topic it matched: a second AddMatch is a no-op.
CREATE TABLE matches (
	item_id bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
	topic   text NOT NULL,
	at      timestamptz NOT NULL,
	PRIMARY KEY (item_id, topic)
);
CREATE INDEX matches_topic_at ON matches (topic, at);

-- A story goes to a channel once per topic, whichever feed carried it.
-- story_key is bytea because a key may hold a NUL (news.Item.StoryKey),
-- which text refuses.
CREATE TABLE deliveries (
	channel   text NOT NULL,
	topic     text NOT NULL,
	story_key bytea NOT NULL,
	item_id   bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
	at        timestamptz NOT NULL,
	PRIMARY KEY (channel, topic, story_key)
);
CREATE INDEX deliveries_item ON deliveries (item_id);

-- Items waiting for a digest subscription (sub is news.Subscription.Key).
CREATE TABLE pending (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sub     text NOT NULL,
	topic   text NOT NULL,
	item_id bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
	at      timestamptz NOT NULL,
	UNIQUE (sub, topic, item_id)
);
CREATE INDEX pending_sub_at ON pending (sub, at, id);
CREATE INDEX pending_item ON pending (item_id);

-- Messages on their way to chat, sent per channel strictly in id order
-- (enqueueing transactions take turns, so ids follow commit order). key is
-- NULL when the message has none; NULLs never collide under UNIQUE. payload
-- is json, not jsonb: jsonb refuses the \u0000 that a message may carry.
CREATE TABLE outbox (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	channel       text NOT NULL,
	key           text UNIQUE,
	payload       json NOT NULL,
	created       timestamptz NOT NULL,
	attempts      integer NOT NULL DEFAULT 0,
	next_attempt  timestamptz NOT NULL,
	last_error    text NOT NULL DEFAULT '',
	status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	sent_at       timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
	failed_at     timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
	claimed_by    text,        -- claims: the replica sending the message
	claimed_until timestamptz  -- claims: when its claim lapses
);
-- Only unsent messages are indexed: the dispatcher's lookups stay small however long the history.
CREATE INDEX outbox_pending ON outbox (channel, id) WHERE status = 'pending';

CREATE TABLE meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);

-- What people add from chat. What the config file defines is not stored
-- here (it is read at every start), so every row is a chat definition.
CREATE TABLE topics (
	name    text PRIMARY KEY,
	query   text NOT NULL,
	channel text NOT NULL DEFAULT '',
	created timestamptz NOT NULL DEFAULT now()
);

-- At most one mute per channel and topic: muting again replaces it. Expired
-- rows are harmless (readers filter on until) and bounded by that key.
CREATE TABLE mutes (
	channel text NOT NULL,
	topic   text NOT NULL,
	until   timestamptz NOT NULL,
	PRIMARY KEY (channel, topic)
);

CREATE TABLE deadlines (
	name              text PRIMARY KEY,
	title             text NOT NULL DEFAULT '',
	due               timestamptz NOT NULL,
	query             text NOT NULL DEFAULT '',
	remind_ns         bigint[] NOT NULL DEFAULT '{}', -- before due
	channels          text[] NOT NULL DEFAULT '{}',
	countdown         text NOT NULL DEFAULT '',
	mention_within_ns bigint NOT NULL DEFAULT 0,
	mention_set       boolean NOT NULL DEFAULT false,
	mention_slack     text[] NOT NULL DEFAULT '{}',
	mention_discord   text[] NOT NULL DEFAULT '{}',
	created           timestamptz NOT NULL
);

-- Claims: named leases (a digest period, a reminder, a channel's sends),
-- each held by one replica until a time; see Store.Claim.
CREATE TABLE leases (
	name   text PRIMARY KEY,
	holder text NOT NULL,
	until  timestamptz NOT NULL
);
