package tfjs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Pretrained is one network eigenlab can import from a package fetched by
// scripts/fetch-models.sh.
type Pretrained struct {
	Name  string // e.g. "nsfwjs-mobilenetv2"
	Label string // what results must call it
	Dir   string // model folder, relative to the models root
	Size  int    // input height and width
	// Classes names the head's outputs, in order.
	Classes []string
}

// NSFWJSVersion is the pinned nsfwjs release (DATA.md §2).
const NSFWJSVersion = "4.3.0"

var nsfwjsDir = filepath.Join("nsfwjs-"+NSFWJSVersion, "package", "dist", "models")

// nsfwjsClasses are the outputs of nsfwjs's Dense 5 softmax head
// (dist/cjs/nsfw_classes.js).
var nsfwjsClasses = []string{"Drawing", "Hentai", "Neutral", "Porn", "Sexy"}

// Catalogue lists the importable pretrained networks by name. Both nets
// are Keras ImageNet architectures fine-tuned by nsfwjs on a 5-class NSFW
// task: no ImageNet-trained weights ship in any reachable package, so
// results must carry the label, not "ImageNet MobileNetV2". Inputs are RGB
// in [0, 1] (nsfwjs divides bytes by 255 and resizes bilinearly).
var Catalogue = map[string]Pretrained{
	"nsfwjs-mobilenetv2": {Name: "nsfwjs-mobilenetv2", Label: "MobileNetV2 backbone (nsfwjs fine-tune)",
		Dir: filepath.Join(nsfwjsDir, "mobilenet_v2"), Size: 224, Classes: nsfwjsClasses},
	"nsfwjs-inceptionv3": {Name: "nsfwjs-inceptionv3", Label: "InceptionV3 backbone (nsfwjs fine-tune)",
		Dir: filepath.Join(nsfwjsDir, "inception_v3"), Size: 299, Classes: nsfwjsClasses},
}

// Names lists the catalogue's names, sorted.
func Names() []string {
	names := make([]string, 0, len(Catalogue))
	for n := range Catalogue {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ModelsRoot is where scripts/fetch-models.sh puts packages:
// $EIGENLAB_MODELS, else $XDG_CACHE_HOME/eigenlab/models, else
// ~/.cache/eigenlab/models.
func ModelsRoot() (string, error) {
	if d := os.Getenv("EIGENLAB_MODELS"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "eigenlab", "models"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no models folder: set EIGENLAB_MODELS (%v)", err)
	}
	return filepath.Join(home, ".cache", "eigenlab", "models"), nil
}

// DefaultDir is the model folder of the named net under ModelsRoot.
func DefaultDir(name string) (string, error) {
	p, ok := Catalogue[name]
	if !ok {
		return "", fmt.Errorf("unknown pretrained model %q; want one of %v", name, Names())
	}
	root, err := ModelsRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, p.Dir), nil
}
