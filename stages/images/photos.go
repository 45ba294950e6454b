package images

import (
	"fmt"
	"image"
	"math/rand/v2"
	"sort"
	"strings"
)

// Photo is one of the curated real photographs of DATA.md §1.2 and the
// Debian package that installs it.
type Photo struct {
	Path    string
	Package string
}

// Photos are the 37 curated photos of DATA.md §1.2 (all JPEG, 1280×1024 to
// 6028×3391), sorted by path; a photo's index in this list is the "photo"
// number the photos source records for each patch.
var Photos = curatedPhotos()

// PhotoPackages are the Debian packages the photos come from; `make data`
// (scripts/setup.sh) installs them.
var PhotoPackages = []string{"mate-backgrounds", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04", "plasma-workspace-wallpapers"}

func curatedPhotos() []Photo {
	var ps []Photo
	for _, n := range strings.Fields("Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings Wood YellowFlower") {
		ps = append(ps, Photo{"/usr/share/backgrounds/mate/nature/" + n + ".jpg", "mate-backgrounds"})
	}
	for _, n := range strings.Fields(`Bridge_by_Sander_Klootwijk Dragonfly_by_Bolly Picture_0B_by_freespace
		Picture_1A_by_freespace Wine_by_Jakkub_Mede aitzgorri_by_Aitzol_Berasategi free_by_Peter_Nerlich
		friends_by_Aitzol_Berasategi greentock_by_Peter_Nerlich life_by_Aitzol_Berasategi
		picosdeeuropa_by_Aitzol_Berasategi seeding_by_Clements_Engelhardt sunset_by_Aitzol_Berasategi`) {
		ps = append(ps, Photo{"/usr/share/backgrounds/" + n + ".jpg", "lomiri-wallpapers-16.04"})
	}
	ps = append(ps, Photo{"/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg", "lomiri-wallpapers-20.04"})
	for _, n := range strings.Fields("FallenLeaf Path DarkestHour summer_1am EveningGlow Grey Kite ColorfulCups OneStandsOut ColdRipple BytheWater") {
		ps = append(ps, Photo{"/usr/share/wallpapers/" + n + "/contents/images/2560x1600.jpg", "plasma-workspace-wallpapers"})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
	return ps
}

// Splits are the accepted split names: photos, not patches, are split,
// because patches of one photo are strongly correlated (DATA.md §1.2).
var Splits = []string{"train", "test", "all"}

// PhotoSplit returns the indexes into Photos of a split. The rule is fixed
// and deterministic: in path order, every 4th photo (index i with
// i mod 4 = 3) is a test photo, the others are training photos; 28 train
// and 9 test photos.
func PhotoSplit(split string) ([]int, error) {
	var idx []int
	for i := range Photos {
		test := i%4 == 3
		switch split {
		case "all":
			idx = append(idx, i)
		case "train", "test":
			if test == (split == "test") {
				idx = append(idx, i)
			}
		default:
			return nil, fmt.Errorf("unknown split %q (want one of %v)", split, Splits)
		}
	}
	return idx, nil
}

// PatchOptions says how patches are cut from a photo.
type PatchOptions struct {
	Size int // side in pixels
	// Grid cuts non-overlapping patches from a grid of Size×Size cells
	// centred in the image, visited in an order shuffled by the stream;
	// otherwise patches sit at uniformly random positions and may overlap.
	Grid bool
	// MinStd rejects patches whose BT.601 luma standard deviation (0–255
	// scale, LumaStd) is at most MinStd; 0 keeps every patch.
	MinStd float64
}

// SamplePatches returns count patch rectangles of m drawn with rng as o
// says. It fails, saying how many patches were found, when the grid has
// too few cells passing MinStd, or when 100·count+1000 random draws find
// too few.
func SamplePatches(m *image.RGBA, count int, o PatchOptions, rng *rand.Rand) ([]image.Rectangle, error) {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	if w < o.Size || h < o.Size {
		return nil, fmt.Errorf("%d×%d image is smaller than a %d×%d patch", w, h, o.Size, o.Size)
	}
	out := make([]image.Rectangle, 0, count)
	keep := func(r image.Rectangle) {
		if o.MinStd <= 0 || LumaStd(m, r) > o.MinStd {
			out = append(out, r)
		}
	}
	if o.Grid {
		nx, ny := w/o.Size, h/o.Size
		ox, oy := (w-nx*o.Size)/2, (h-ny*o.Size)/2
		for _, c := range rng.Perm(nx * ny) {
			if len(out) == count {
				break
			}
			x, y := ox+(c%nx)*o.Size, oy+(c/nx)*o.Size
			keep(image.Rect(x, y, x+o.Size, y+o.Size))
		}
		if len(out) < count {
			return nil, fmt.Errorf("only %d of the %d grid patches of %d×%d in this %d×%d image pass min_std %v; %d wanted (ask for fewer, or random sampling)",
				len(out), nx*ny, o.Size, o.Size, w, h, o.MinStd, count)
		}
		return out, nil
	}
	draws := 100*count + 1000
	for d := 0; d < draws && len(out) < count; d++ {
		x, y := rng.IntN(w-o.Size+1), rng.IntN(h-o.Size+1)
		keep(image.Rect(x, y, x+o.Size, y+o.Size))
	}
	if len(out) < count {
		return nil, fmt.Errorf("only %d of %d random %d×%d patches passed min_std %v in %d draws", len(out), count, o.Size, o.Size, o.MinStd, draws)
	}
	return out, nil
}
