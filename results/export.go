package results

import (
	"archive/zip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/eigenlab/eigenlab/internal/atomicfile"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// Export writes named artifacts to path in the format its extension names:
// .npy (exactly one array), .npz (see exportNPZ: arrays as NAME.npy, records
// as NAME.json, or one model with its weights and architecture), .json
// (arrays as {dtype, shape, data} and records as they are) or .csv (one
// array of at most two dimensions). The file appears atomically, with mode
// 0644 and fsynced (atomicfile): a failed export leaves path as it was.
// Unless replace is set, an existing path is left untouched and the error
// wraps fs.ErrExist, even if another process creates path meanwhile.
func Export(path string, arts map[string]stages.Artifact, replace bool) error {
	ext := strings.ToLower(filepath.Ext(path))
	write, ok := exporters[ext]
	if !ok {
		return fmt.Errorf("export %s: unknown format %q; want .npy, .npz, .json or .csv", path, ext)
	}
	save := atomicfile.WriteNew
	if replace {
		save = atomicfile.Write
	}
	if err := save(path, atomicfile.UserMode, func(w io.Writer) error { return write(w, arts) }); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return nil
}

var exporters = map[string]func(io.Writer, map[string]stages.Artifact) error{
	".npy":  exportNPY,
	".npz":  exportNPZ,
	".json": exportJSON,
	".csv":  exportCSV,
}

func single(arts map[string]stages.Artifact) (*ndarray.Array, error) {
	if len(arts) != 1 {
		return nil, fmt.Errorf("this format holds one array and the reference names %d (%s); name one output (STAGE.OUTPUT) or use .npz/.json", len(arts), strings.Join(slices.Sorted(maps.Keys(arts)), ", "))
	}
	for name, a := range arts {
		arr, err := stages.AsArray(a)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w; use .json", name, err)
		}
		return arr, nil
	}
	panic("unreachable")
}

func exportNPY(w io.Writer, arts map[string]stages.Artifact) error {
	a, err := single(arts)
	if err != nil {
		return err
	}
	return ndarray.WriteNPY(w, a)
}

// exportNPZ writes an uncompressed .npz (a zip of .npy members), which
// numpy.load reads: each array output is the member NAME.npy (np.load(f)[NAME])
// and each record output the member NAME.json, its canonical JSON, which
// numpy.load hands back as bytes (json.loads(np.load(f)["NAME.json"])).
// npyio's npz writer cannot give a flat slice an n-d shape, so the members
// are written with ndarray.WriteNPY. A model is exported alone, as its own
// .npz: one member per weight plus "__arch__.json" (the architecture).
func exportNPZ(w io.Writer, arts map[string]stages.Artifact) error {
	for name, a := range arts {
		if m, ok := a.(*stages.Model); ok {
			if len(arts) > 1 {
				return fmt.Errorf("output %q is a model, which exports alone; name it (STAGE.%s)", name, name)
			}
			return stages.WriteArtifact(w, m)
		}
	}
	z := zip.NewWriter(w)
	for _, name := range slices.Sorted(maps.Keys(arts)) {
		if err := npzMember(z, name, arts[name]); err != nil {
			return fmt.Errorf("output %q: %w", name, err)
		}
	}
	return z.Close()
}

// npzMember adds one artifact to an .npz: a record as NAME.json, an
// array (in memory or file-backed, its digest checked) as NAME.npy.
func npzMember(z *zip.Writer, name string, a stages.Artifact) error {
	member := func(suffix string) (io.Writer, error) {
		return z.CreateHeader(&zip.FileHeader{Name: name + suffix, Method: zip.Store})
	}
	if rec, ok := a.(ndarray.Record); ok {
		f, err := member(".json")
		if err != nil {
			return err
		}
		_, err = f.Write(rec.Canonical())
		return err
	}
	arr, err := stages.AsArray(a)
	if err != nil {
		return err
	}
	f, err := member(".npy")
	if err != nil {
		return err
	}
	return ndarray.WriteNPY(f, arr)
}

func exportJSON(w io.Writer, arts map[string]stages.Artifact) error {
	out := map[string]any{}
	for name, a := range arts {
		switch a := a.(type) {
		case *ndarray.Array:
			out[name] = map[string]any{"dtype": a.DType(), "shape": a.Shape, "data": a.Float64s()}
		default:
			out[name] = a
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func exportCSV(w io.Writer, arts map[string]stages.Artifact) error {
	a, err := single(arts)
	if err != nil {
		return err
	}
	if len(a.Shape) > 2 {
		return fmt.Errorf("csv holds at most 2 dimensions, the array is %s; use .npy", a.Describe())
	}
	cw := csv.NewWriter(w)
	rows, cols := a.Rows(), a.Cols()
	if len(a.Shape) == 1 {
		rows, cols = a.Len(), 1
	}
	rec := make([]string, cols)
	for i := 0; i < rows; i++ {
		for j := range rec {
			rec[j] = strconv.FormatFloat(a.Value(i*cols+j), 'g', -1, 64)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
