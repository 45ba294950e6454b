// Package results is eigenlab's provenance store: a SQLite database of
// runs, stage executions, artifacts and the edges between them, and every
// query that reads it (ls, why, diff, exports).
//
// The database is in WAL mode with a busy timeout, so several eigenlab
// processes on one machine may write to it at once. Like the cache, it is
// not meant for network file systems.
package results

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver
)

// DB is an open provenance database.
type DB struct {
	db  *sql.DB
	now func() time.Time // injected clock
}

// Open opens (creating and migrating if needed) the database at path.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return open("file:" + path + "?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate")
}

// OpenMemory opens a private in-memory database, for tests.
func OpenMemory() (*DB, error) {
	return open("file::memory:?_foreign_keys=on")
}

func open(dsn string) (*DB, error) {
	sqlDB, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, err
	}
	if dsn == "file::memory:?_foreign_keys=on" {
		sqlDB.SetMaxOpenConns(1) // each connection would be its own database
	}
	d := &DB{db: sqlDB, now: time.Now}
	if err := d.migrate(context.Background()); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("provenance database: %w", err)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// migrations are applied in order, each once; their count is the schema
// version kept in PRAGMA user_version. Never edit a shipped migration:
// append a new one.
var migrations = []string{schemaV1}

func (d *DB) migrate(ctx context.Context) error {
	// One write transaction reads the version and applies what is missing,
	// so two processes opening a new database at once migrate it once.
	return d.tx(ctx, func(tx *sql.Tx) error {
		var version int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			return err
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

// tx runs fn in a transaction, committing if it returns nil.
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
