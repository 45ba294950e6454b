package cache

import (
	"io/fs"
	"syscall"
)

// stampOf is the stamp of a file's stat.
func stampOf(info fs.FileInfo) Stamp {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return Stamp{}
	}
	return stampOfStat(st)
}

// stampOfStat is the stamp of a stat(2) result.
func stampOfStat(st *syscall.Stat_t) Stamp {
	return Stamp{Size: st.Size, MtimeNS: st.Mtim.Nano(), Ino: int64(st.Ino), CtimeNS: st.Ctim.Nano()}
}

// statStamp is the stamp of the regular file at path, without the
// allocations of os.Stat: a no-op rerun takes one per output. A file that
// is not regular is an error wrapping fs.ErrInvalid.
func statStamp(path string) (Stamp, error) {
	var st syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Stat(path, &st) }); err != nil {
		return Stamp{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return Stamp{}, &fs.PathError{Op: "stat", Path: path, Err: fs.ErrInvalid}
	}
	return stampOfStat(&st), nil
}

// ignoringEINTR retries fn while a signal interrupts it, as os does.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != syscall.EINTR {
			return err
		}
	}
}
