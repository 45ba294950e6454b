// Package results is eigenlab's provenance store: a SQLite database of
// runs, stage executions, artifacts, the edges between them and the
// scalars reports cite, and every query that reads it (ls, why, diff,
// exports).
//
// The database is in WAL mode with a busy timeout and takes its write lock
// when a transaction begins, so several eigenlab processes on one machine
// may read and write it at once. Like the cache, it is not meant for
// network file systems, whose locks SQLite cannot trust.
package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3" // also the database/sql driver
)

// DB is an open provenance database. It is safe for concurrent use.
type DB struct {
	db  *sql.DB
	now func() time.Time // the clock; tests replace it
}

// busyTimeout is how long a writer waits for another process's write
// transaction. Transactions here last milliseconds, so waiting this long
// means something is stuck, and an error says so.
const busyTimeout = 10 * time.Second

// Open opens the database at path, creating it and its directory and
// applying any missing migrations.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("provenance database %s: %w", path, err)
	}
	// _txlock=immediate: a write transaction takes the lock at BEGIN, so
	// two writers queue on the busy timeout instead of one failing with
	// "database is locked" when it upgrades a read lock.
	dsn := fmt.Sprintf("file:%s?_journal_mode=WAL&_busy_timeout=%d&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate",
		path, busyTimeout.Milliseconds())
	d, err := open(dsn, 0)
	if err != nil {
		return nil, fmt.Errorf("provenance database %s: %w", path, err)
	}
	return d, nil
}

// OpenMemory opens a private in-memory database, for tests.
func OpenMemory() (*DB, error) {
	// Each connection to ":memory:" is its own database, so keep one.
	d, err := open("file::memory:?_foreign_keys=on", 1)
	if err != nil {
		return nil, fmt.Errorf("in-memory provenance database: %w", err)
	}
	return d, nil
}

func open(dsn string, maxConns int) (*DB, error) {
	sqlDB, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(maxConns)
	d := &DB{db: sqlDB, now: time.Now}
	if err := d.migrateRetrying(context.Background()); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return d, nil
}

// migrateRetrying migrates, retrying while another process holds the
// database. The busy timeout covers most waits, but not all: while a new
// database is switched to WAL and migrated, two openers can each hold a
// lock the other needs, and SQLite then fails one at once rather than
// deadlock. The whole step is safe to repeat.
func (d *DB) migrateRetrying(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := d.migrate(ctx)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// migrate applies the migrations the database lacks. Their count is the
// schema version, kept in PRAGMA user_version.
func (d *DB) migrate(ctx context.Context) error {
	// One write transaction reads the version and applies what is missing,
	// so two processes opening a new database at once migrate it once.
	return d.tx(ctx, func(tx *sql.Tx) error {
		var version int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			return fmt.Errorf("reading schema version: %w", err)
		}
		if version > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this eigenlab (%d); upgrade eigenlab", version, len(migrations))
		}
		for i := version; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations)))
		return err
	})
}

// tx runs fn in a transaction, committing if it returns nil and rolling
// back otherwise.
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// timeFmt is how times are stored: RFC 3339 in UTC with a fixed-width
// fraction, so that text order is time order.
const timeFmt = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeFmt) }

// parseTime reads a stored time; "" (a run not yet ended) is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}
