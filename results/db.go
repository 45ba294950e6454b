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
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3" // also the database/sql driver
)

// DB is an open provenance database. It is safe for concurrent use.
type DB struct {
	db       *sql.DB
	path     string        // the file, for messages; "" in memory
	timeout  time.Duration // how long a write waits for the lock (Options.Timeout)
	readOnly bool
	now      func() time.Time // the clock; tests replace it
}

// DefaultTimeout is how long a write waits for another process's write
// transaction before it fails. Transactions here last milliseconds, so
// waiting this long means something is stuck, and the error says so.
const DefaultTimeout = time.Minute

// Options control how a database is opened.
type Options struct {
	// ReadOnly opens an existing database without taking its write lock
	// or migrating it, so that it can be read while a run writes it. A
	// database older than this eigenlab is migrated first (briefly
	// writable); a missing one is an error wrapping fs.ErrNotExist.
	ReadOnly bool
	// Timeout bounds how long a write waits for a busy database (SQLite's
	// busy timeout, then retries) before failing; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Open opens the database at path for writing, creating it and its
// directory and applying any missing migrations.
func Open(path string) (*DB, error) { return OpenWith(path, Options{}) }

// OpenWith opens the database at path as opt says. The path is passed to
// SQLite as an escaped file: URI, so that any name (with '#', '?' or '%')
// is the file opened.
func OpenWith(path string, opt Options) (*DB, error) {
	timeout := cmp.Or(opt.Timeout, DefaultTimeout)
	if opt.ReadOnly {
		return openReadOnly(path, timeout)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("provenance database %s: %w", path, err)
	}
	// _txlock=immediate: a write transaction takes the lock at BEGIN, so
	// two writers queue on the busy timeout instead of one failing with
	// "database is locked" when it upgrades a read lock.
	uri, err := fileURI(path, "_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate", timeout)
	if err != nil {
		return nil, err
	}
	// One connection: writes are serialised by SQLite anyway, and a pool
	// would open (and close) a connection per waiting goroutine.
	d, err := open(uri, 1, path, timeout, false)
	if err != nil {
		return nil, fmt.Errorf("provenance database %s: %w", path, diagnose(path, err))
	}
	return d, nil
}

// openReadOnly opens an existing database with mode=ro: no write lock, no
// migration (unless the schema is older than this eigenlab's).
func openReadOnly(path string, timeout time.Duration) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("provenance database %s: %w", path, err)
	}
	uri, err := fileURI(path, "mode=ro&_foreign_keys=on", timeout)
	if err != nil {
		return nil, err
	}
	d, err := open(uri, 0, path, timeout, true)
	if errors.Is(err, errOldSchema) {
		if err = migrateFile(path, timeout); err == nil {
			d, err = open(uri, 0, path, timeout, true)
		}
	}
	if err != nil && archived(path) {
		// Nothing can write it: read the file as it is, without the
		// -shm file SQLite cannot create.
		if immutable, uerr := fileURI(path, "mode=ro&immutable=1", timeout); uerr == nil {
			if d, uerr = open(immutable, 0, path, timeout, true); uerr == nil {
				return d, nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("provenance database %s (read-only): %w", path, diagnose(path, err))
	}
	return d, nil
}

// archived reports whether path is a database nothing is writing and this
// user cannot write: its directory is not writable and it has no -wal
// file (a writer has one open; the last to close removes it).
func archived(path string) bool {
	_, err := os.Stat(path + "-wal")
	return errors.Is(err, fs.ErrNotExist) && denied(syscall.Access(filepath.Dir(path), unixW|unixX))
}

// migrateFile brings an older database's schema up to date.
func migrateFile(path string, timeout time.Duration) error {
	d, err := OpenWith(path, Options{Timeout: timeout})
	if err != nil {
		return err
	}
	return d.Close()
}

// fileURI is the SQLite URI of path with the given query and busy
// timeout. The path is made absolute and percent-escaped: SQLite decodes
// it, and the driver splits the DSN at the first unescaped '?'.
func fileURI(path, query string, timeout time.Duration) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("provenance database %s: %w", path, err)
	}
	var b strings.Builder
	b.WriteString("file:")
	for i := 0; i < len(abs); i++ {
		c := abs[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	fmt.Fprintf(&b, "?%s&_busy_timeout=%d", query, timeout.Milliseconds())
	return b.String(), nil
}

// diagnose explains an open failure caused by permissions, which SQLite
// reports as "unable to open database file" or "no such file or
// directory": WAL mode needs to create path-wal and path-shm beside the
// database, so its directory must be writable.
func diagnose(path string, err error) error {
	dir := filepath.Dir(path)
	if denied(syscall.Access(dir, unixW|unixX)) {
		return fmt.Errorf("directory %s is not writable by this user (%w): SQLite creates %s-wal and %s-shm beside the database; "+
			"choose a database in a writable directory with --db or EIGENLAB_DB", dir, os.ErrPermission, filepath.Base(path), filepath.Base(path))
	}
	if denied(syscall.Access(path, unixR)) {
		return fmt.Errorf("%s is not readable by this user (%w)", path, os.ErrPermission)
	}
	return err
}

// denied reports whether an access(2) error means a permission problem
// (not, say, a file that does not exist yet).
func denied(err error) bool { return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EROFS) }

// Access modes of access(2).
const (
	unixR = 4
	unixW = 2
	unixX = 1
)

// OpenMemory opens a private in-memory database, for tests.
func OpenMemory() (*DB, error) {
	// Each connection to ":memory:" is its own database, so keep one.
	d, err := open("file::memory:?_foreign_keys=on", 1, "", DefaultTimeout, false)
	if err != nil {
		return nil, fmt.Errorf("in-memory provenance database: %w", err)
	}
	return d, nil
}

// walCheckpointPages is the size of the write-ahead log (in 4 KiB pages:
// 64 MiB) at which a commit copies it into the database, with two fsyncs.
// At SQLite's default, 1,000 pages, a no-op rerun of 10,000 stages
// checkpointed twelve times (25 fsyncs, ~50 ms of its recorder's ~450);
// the log is folded in at the latest when the run closes the
// database. Commits stay atomic and a killed process loses no committed
// row (the log is replayed when the database is next opened); a power cut
// may lose the commits since the last checkpoint (synchronous=NORMAL), now
// up to this many pages of them.
const walCheckpointPages = 16384

func open(dsn string, maxConns int, path string, timeout time.Duration, readOnly bool) (*DB, error) {
	sqlDB, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(maxConns)
	d := &DB{db: sqlDB, path: path, timeout: timeout, readOnly: readOnly, now: time.Now}
	if readOnly {
		err = d.checkVersion(context.Background())
	} else {
		err = d.migrate(context.Background())
		if err == nil {
			_, err = sqlDB.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walCheckpointPages))
		}
	}
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return d, nil
}

// errOldSchema: a read-only open met a database older than this eigenlab.
var errOldSchema = errors.New("schema older than this eigenlab")

// checkVersion is migrate's check for a read-only database.
func (d *DB) checkVersion(ctx context.Context) error {
	var version int
	if err := d.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	switch {
	case version > len(migrations):
		return fmt.Errorf("schema version %d is newer than this eigenlab (%d); upgrade eigenlab", version, len(migrations))
	case version < len(migrations):
		return errOldSchema
	}
	return nil
}

// retry runs fn until it succeeds, fails with an error other than a busy
// or locked database, or d.timeout has passed. SQLite's busy timeout
// covers most waits, but not all: while a new database is switched to WAL
// and migrated, two openers can each hold a lock the other needs, and
// SQLite then fails one at once rather than deadlock. fn must be safe to
// repeat. A database still busy at the deadline is an error that says so.
func (d *DB) retry(fn func() error) error {
	deadline := time.Now().Add(d.timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := fn()
		if err == nil || !isBusy(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: another process held the database's write lock for over %s (EIGENLAB_DB_TIMEOUT sets how long to wait)", err, d.timeout)
		}
		time.Sleep(wait)
	}
}

// isBusy reports whether err is SQLite's "database is busy" or "locked".
func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
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

// tx runs fn in a write transaction, committing if it returns nil and
// rolling back otherwise, and retries it while the database is busy (see
// retry).
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if d.readOnly {
		return fmt.Errorf("provenance database %s was opened read-only", d.path)
	}
	return d.retry(func() error {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	})
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
