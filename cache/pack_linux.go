package cache

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// mapPack maps the pack file at path read-only and returns its bytes as a
// string, unmapped once p is unreachable; "" if there is no file or it
// cannot be mapped. Pack files are only ever replaced by rename, so the
// mapped inode never changes under the run.
func mapPack(p *Pack, path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() == 0 || int64(int(info.Size())) != info.Size() {
		return ""
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(info.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return ""
	}
	runtime.AddCleanup(p, func(b []byte) { syscall.Munmap(b) }, b)
	return unsafe.String(&b[0], len(b))
}
