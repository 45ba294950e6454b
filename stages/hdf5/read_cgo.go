//go:build cgo && !nohdf5

package hdf5

/*
#cgo pkg-config: hdf5
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>

static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static hid_t native_float(void)  { return H5T_NATIVE_FLOAT; }
static hid_t native_double(void) { return H5T_NATIVE_DOUBLE; }
static hid_t native_llong(void)  { return H5T_NATIVE_LLONG; }

// last_error copies the most specific message of the error stack.
static herr_t walk(unsigned n, const H5E_error2_t *e, void *buf) {
	if (n == 0 && e->desc != NULL) strncpy((char *)buf, e->desc, 255);
	return 0;
}
static void last_error(char *buf) {
	buf[0] = 0;
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk, buf);
	H5Eclear2(H5E_DEFAULT);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"
)

// mu serialises calls: Debian's build is thread-safe, but the error stack
// read after a failure belongs to the OS thread, so a call runs locked to
// one thread and the stack is not shared between calls.
var mu sync.Mutex

func init() { C.quiet() }

// h5err is the library's most specific message for the failed call.
func h5err(what string) error {
	buf := (*C.char)(C.malloc(256))
	defer C.free(unsafe.Pointer(buf))
	C.last_error(buf)
	return fmt.Errorf("%s: %s", what, C.GoString(buf))
}

// closer collects HDF5 handles to release in reverse order.
type closer []func()

func (c *closer) add(f func()) { *c = append(*c, f) }
func (c closer) run() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

func read(path, name string, sel *Slice, maxBytes int64) (*Data, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err // a clearer message than the library's
	}
	mu.Lock()
	defer mu.Unlock()
	runtime.LockOSThread()
	C.quiet() // the error-printing switch is per thread in a thread-safe build
	defer runtime.UnlockOSThread()
	var done closer
	defer done.run()

	cpath, cname := C.CString(path), C.CString(name)
	defer C.free(unsafe.Pointer(cpath))
	defer C.free(unsafe.Pointer(cname))
	file := C.H5Fopen(cpath, C.H5F_ACC_RDONLY, C.H5P_DEFAULT)
	if file < 0 {
		return nil, h5err("not an HDF5 file or cannot open it")
	}
	done.add(func() { C.H5Fclose(file) })
	ds := C.H5Dopen2(file, cname, C.H5P_DEFAULT)
	if ds < 0 {
		return nil, h5err("no such dataset (want a path like /group/dataset)")
	}
	done.add(func() { C.H5Dclose(ds) })
	space := C.H5Dget_space(ds)
	done.add(func() { C.H5Sclose(space) })
	dtype := C.H5Dget_type(ds)
	done.add(func() { C.H5Tclose(dtype) })

	dims, err := extent(space)
	if err != nil {
		return nil, err
	}
	shape, n, err := selection(dims, sel)
	if err != nil {
		return nil, err
	}
	out := &Data{Shape: shape}
	memType, size, err := memoryType(dtype)
	if err != nil {
		return nil, err
	}
	if err := checkBudget(shape, n, size, maxBytes); err != nil {
		return nil, err
	}
	mem := C.hid_t(C.H5S_ALL)
	if sel != nil && len(dims) > 0 {
		if mem, err = hyperslab(space, sel); err != nil {
			return nil, err
		}
		done.add(func() { C.H5Sclose(mem) })
	}
	fileSpace := space
	if mem == C.H5S_ALL {
		fileSpace = C.H5S_ALL
	}
	var buf unsafe.Pointer
	switch memType {
	case C.native_float():
		out.F32 = make([]float32, n)
		buf = unsafe.Pointer(unsafe.SliceData(out.F32))
	case C.native_double():
		out.F64 = make([]float64, n)
		buf = unsafe.Pointer(unsafe.SliceData(out.F64))
	default:
		out.I64 = make([]int64, n)
		buf = unsafe.Pointer(unsafe.SliceData(out.I64))
	}
	if n > 0 && C.H5Dread(ds, memType, mem, fileSpace, C.H5P_DEFAULT, buf) < 0 {
		return nil, h5err("reading the data")
	}
	runtime.KeepAlive(out)
	return out, nil
}

// extent returns the dataset's current dimensions ([] for a scalar).
func extent(space C.hid_t) ([]int, error) {
	rank := C.H5Sget_simple_extent_ndims(space)
	if rank < 0 {
		return nil, h5err("dataspace")
	}
	cd := make([]C.hsize_t, max(int(rank), 1))
	if C.H5Sget_simple_extent_dims(space, &cd[0], nil) < 0 {
		return nil, h5err("dataspace dims")
	}
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = int(cd[i])
	}
	return dims, nil
}

// memoryType picks the in-memory type the library converts to: float32
// for 4-byte floats, float64 for other floats, int64 for integers.
func memoryType(t C.hid_t) (C.hid_t, int64, error) {
	switch C.H5Tget_class(t) {
	case C.H5T_FLOAT:
		if C.H5Tget_size(t) == 4 {
			return C.native_float(), 4, nil
		}
		return C.native_double(), 8, nil
	case C.H5T_INTEGER:
		return C.native_llong(), 8, nil
	}
	return 0, 0, errors.New("element type is not a float or an integer (strings, compounds and references are not read), want a numeric dataset")
}

// hyperslab selects sel in the file space and returns a matching memory space.
func hyperslab(space C.hid_t, sel *Slice) (C.hid_t, error) {
	start := make([]C.hsize_t, len(sel.Start))
	count := make([]C.hsize_t, len(sel.Count))
	for d := range start {
		start[d], count[d] = C.hsize_t(sel.Start[d]), C.hsize_t(sel.Count[d])
	}
	if C.H5Sselect_hyperslab(space, C.H5S_SELECT_SET, &start[0], nil, &count[0], nil) < 0 {
		return 0, h5err("selecting the slice")
	}
	mem := C.H5Screate_simple(C.int(len(count)), &count[0], nil)
	if mem < 0 {
		return 0, h5err("memory space for the slice")
	}
	return mem, nil
}
