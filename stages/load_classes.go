package stages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/eigenlab/eigenlab/ndarray"
)

// The class-folders source reads labelled images, one sub-folder per
// class, so a user can bring CIFAR-like data of their own to train and
// attack; each class folder is read as the folder source reads its folder.
func init() {
	RegisterSource(Source{
		Name: "class-folders",
		Doc: "labelled images from folder path holding one sub-folder per class: class k is the k-th sub-folder in sorted name order, " +
			"its JPEG/PNG/GIF files read in sorted order as the folder source reads them (size, resize, crop, channels, normalize); " +
			"outputs images (class by class), labels (int64 class index per image) and info (classes: the sub-folder names, files: class/name per image)",
		Params: append([]ParamSpec{
			{Name: "path", Type: String, File: true, Doc: "folder of class sub-folders (hidden entries ignored; a file beside them is an error)"},
			nSpec("use the first n files of each class (default all)", true),
		}, decodeSpecs()...),
		Outputs:   []string{"images", "labels", "info"},
		Run:       loadClassFolders,
		Validate:  validateFolder,
		Resources: classResources,
	})
}

// classFiles lists the class sub-folders of root in sorted order and, per
// class, its image files (as folderFiles), the first n of each with n > 0.
func classFiles(root string, n int) (classes []string, files [][]string, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, fmt.Errorf("param \"path\": %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !e.IsDir() {
			return nil, nil, fmt.Errorf("param \"path\": %s is not a folder; want only one sub-folder per class in %s", filepath.Join(root, e.Name()), root)
		}
		classes = append(classes, e.Name()) // ReadDir sorts by name
	}
	if len(classes) < 2 {
		return nil, nil, fmt.Errorf("param \"path\": %s holds %d class sub-folders; want at least 2", root, len(classes))
	}
	for _, c := range classes {
		fs, err := folderFiles(filepath.Join(root, c))
		if err != nil {
			return nil, nil, fmt.Errorf("class %q: %w", c, err)
		}
		if n > 0 {
			if n > len(fs) {
				return nil, nil, fmt.Errorf("param \"n\": %d, but class %q holds %d image files", n, c, len(fs))
			}
			fs = fs[:n]
		}
		files = append(files, fs)
	}
	return classes, files, nil
}

// classResources estimates decoding every listed file.
func classResources(p Params) Resources {
	_, files, err := classFiles(p.String("path"), 0)
	total := 0
	for _, fs := range files {
		total += len(fs)
	}
	if err != nil {
		total = 0
	}
	return decodeResources(p, total)
}

func loadClassFolders(ctx context.Context, p Params) (Outputs, error) {
	root, n := p.String("path"), 0
	if p.Has("n") {
		n = p.Int("n")
	}
	classes, files, err := classFiles(root, n)
	if err != nil {
		return nil, err
	}
	var paths []string
	var labels []int64
	for k, fs := range files {
		for _, f := range fs {
			paths = append(paths, filepath.Join(classes[k], f))
			labels = append(labels, int64(k))
		}
	}
	imgs, err := decodeImages(ctx, root, paths, p)
	if err != nil {
		return nil, err
	}
	lab := &ndarray.Array{Shape: []int{len(labels)}, Axes: []string{"image"}, I64: labels}
	info := ndarray.Record{"folder": root, "classes": classes, "files": paths}
	return Outputs{"images": imgs, "labels": lab, "info": info}, nil
}
