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
	"github.com/eigenlab/eigenlab/stages"
)

// Export writes named artifacts to path in the format its extension names:
// .npy (exactly one array), .npz (arrays by name, or one model with its
// weights and architecture), .json (arrays as
// {dtype, shape, data} and records as they are) or .csv (one array of at
// most two dimensions). The file appears atomically, with mode 0644 and
// fsynced (atomicfile.Write): a failed export leaves nothing at path.
func Export(path string, arts map[string]stages.Artifact) error {
	ext := strings.ToLower(filepath.Ext(path))
	write, ok := exporters[ext]
	if !ok {
		return fmt.Errorf("export %s: unknown format %q; want .npy, .npz, .json or .csv", path, ext)
	}
	err := atomicfile.Write(path, atomicfile.UserMode, func(w io.Writer) error { return write(w, arts) })
	if err != nil {
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

func single(arts map[string]stages.Artifact) (*stages.Array, error) {
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
	return stages.WriteNPY(w, a)
}

// exportNPZ writes an uncompressed .npz (a zip of .npy members), which
// numpy.load reads. npyio's npz writer cannot give a flat slice an n-d
// shape, so the members are written with stages.WriteNPY. A model is
// exported alone, as its own .npz: one member per weight plus
// "__arch__.json" (the architecture).
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
		arr, err := stages.AsArray(arts[name])
		if err != nil {
			return fmt.Errorf("output %q: %w; use .json", name, err)
		}
		f, err := z.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		if err := stages.WriteNPY(f, arr); err != nil {
			return err
		}
	}
	return z.Close()
}

func exportJSON(w io.Writer, arts map[string]stages.Artifact) error {
	out := map[string]any{}
	for name, a := range arts {
		switch a := a.(type) {
		case *stages.Array:
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
