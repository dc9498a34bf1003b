// Package feeds fetches, parses and normalizes RSS, Atom and JSON feeds, and
// schedules their polling.
//
// Fetching is done with net/http rather than gofeed's own URL loader because
// the latter has no conditional GET, no size cap and no protection against
// server-side request forgery. Parsing hands the fetched bytes to a fresh
// gofeed parser per call, and normalization turns every entry into a
// news.Item whose text is plain, capped UTF-8 and whose link is a canonical
// http(s) URL, so that storage, matching and chat never see raw feed markup.
//
// The package knows nothing about topics or chat.
package feeds
