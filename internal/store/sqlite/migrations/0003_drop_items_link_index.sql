-- items_link was never used by a query: stories are told apart by the
-- deliveries table's story keys, not by looking items up by link. Each
-- index on items costs every insert (about a tenth of one, measured in
-- docs/BENCHMARKS.md), so the unused one goes.
DROP INDEX IF EXISTS items_link;
