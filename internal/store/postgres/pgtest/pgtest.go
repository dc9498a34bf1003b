// Package pgtest gives tests a PostgreSQL schema of their own on the server
// named by FEEDWATCH_TEST_POSTGRES (.ci/run starts one), and skips them
// without a server. The store's tests, the app's and the replica tests of
// the command all use it.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable that points the tests at a server.
const EnvDSN = "FEEDWATCH_TEST_POSTGRES"

// ServerDSN returns the test server's DSN, or skips the test without one.
func ServerDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		t.Skip("set " + EnvDSN + "=postgres://… to run the PostgreSQL tests; .ci/run starts a server")
	}
	return dsn
}

// schemaSeq makes schema names unique within the test process; the pid
// makes them unique across packages or runs sharing the server.
var schemaSeq atomic.Int64

// FreshSchema creates an empty schema named after prefix for the test,
// dropped when it ends, and returns a DSN whose search_path (and
// application_name, to find the test's own sessions in pg_stat_activity) is
// that schema.
func FreshSchema(t testing.TB, prefix string) string {
	t.Helper()
	dsn := ServerDSN(t)
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), schemaSeq.Add(1))
	Exec(t, dsn, "CREATE SCHEMA "+name)
	t.Cleanup(func() { Exec(t, dsn, "DROP SCHEMA "+name+" CASCADE") })
	return WithParams(dsn, map[string]string{"search_path": name, "application_name": name})
}

// Exec runs one statement on a connection of its own.
func Exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// WithParams adds connection parameters to a URL or key=value DSN.
func WithParams(dsn string, params map[string]string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range params {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		dsn += " " + k + "=" + params[k]
	}
	return dsn
}
