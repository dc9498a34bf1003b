-- 0002: what people add from chat: topics, mutes and deadlines.
--
-- What the config file defines is not stored here (it is read at every start),
-- so every row is a chat definition and can be removed from chat.

-- Topics added from chat; channel is where they were added.
CREATE TABLE topics (
	name    TEXT PRIMARY KEY NOT NULL,
	query   TEXT NOT NULL,
	channel TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- At most one mute per channel and topic: muting again replaces it. Expired
-- rows are harmless (readers filter on until) and bounded by that key.
CREATE TABLE mutes (
	channel TEXT NOT NULL,
	topic   TEXT NOT NULL,
	until   INTEGER NOT NULL,
	PRIMARY KEY (channel, topic)
) WITHOUT ROWID;

-- Deadlines added from chat. List-valued fields are JSON: they are only ever
-- read whole, never queried into.
CREATE TABLE deadlines (
	name      TEXT PRIMARY KEY NOT NULL,
	title     TEXT NOT NULL DEFAULT '',
	due       INTEGER NOT NULL DEFAULT 0,
	query     TEXT NOT NULL DEFAULT '',
	remind    TEXT NOT NULL DEFAULT '[]', -- JSON array of nanoseconds before due
	channels  TEXT NOT NULL DEFAULT '[]', -- JSON array of channel names
	countdown TEXT NOT NULL DEFAULT '',
	mention   TEXT NOT NULL DEFAULT '{}', -- JSON of mentionJSON
	created   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
