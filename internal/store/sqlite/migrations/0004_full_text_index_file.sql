-- 0004: the full-text index moves to a file of its own, and item counts
-- are kept per batch.
--
-- The index is now written by the store's indexer through its own
-- connection to "<database>-fts" (see fts.go), so that indexing runs beside
-- the single writer of this file instead of inside its transactions. It is
-- rebuilt there from the items, in the background, the first time this
-- version opens the database; searches stay exact meanwhile.
DROP TABLE items_fts;

-- One UPDATE per item was a tenth of an item's insert: the writer now adds
-- each feed's count of new items once per batch (itemWriter.insert).
DROP TRIGGER items_ai;

-- Deleting an item no longer has an index entry to delete here (the
-- indexer's file keeps it, and searches only ever meet stored items).
DROP TRIGGER items_ad;
CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
	UPDATE feeds SET item_count = item_count - 1 WHERE name = old.feed;
END;
