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
	return Stamp{Size: info.Size(), MtimeNS: st.Mtim.Nano(), Ino: int64(st.Ino), CtimeNS: st.Ctim.Nano()}
}
