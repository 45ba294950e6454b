package cache

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// Locking keys creates no file per key, and distinct keys never wait for
// each other.
func TestLocksShareOneFile(t *testing.T) {
	c := openCache(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var held []func()
	for i := range 100 {
		unlock, err := c.Lock(ctx, keyOf(fmt.Sprint(i)))
		if err != nil {
			t.Fatalf("key %d of 100 distinct keys: %v", i, err)
		}
		held = append(held, unlock)
	}
	if free, err := tryLock(c, keyOf("other"), 30*time.Millisecond); !free || err != nil {
		t.Errorf("a key nobody holds: free = %v (%v) while 100 others are held", free, err)
	}
	if free, err := tryLock(c, keyOf("7"), 30*time.Millisecond); free || err != nil {
		t.Errorf("a held key: free = %v (%v)", free, err)
	}
	for _, unlock := range held {
		unlock()
	}
	if n := countFiles(t, filepath.Join(c.Dir(), locksDir)); n != 1 {
		t.Errorf("%d files under locks/ after locking 101 keys, want 1", n)
	}
}
