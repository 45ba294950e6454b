package images

import "fmt"

// Normalization names how unit-range pixels u ∈ [0, 1] are mapped to a
// model's input range (see the package doc).
type Normalization string

// The normalisations every image source offers.
const (
	Unit      Normalization = "unit"      // u ∈ [0, 1]
	Symmetric Normalization = "symmetric" // 2u − 1 ∈ [−1, 1], Keras MobileNetV2/InceptionV3
	ImageNet  Normalization = "imagenet"  // (u − mean_c)/std_c with the ImageNet statistics
)

// Normalizations lists the accepted names, the default first.
var Normalizations = []string{string(Unit), string(Symmetric), string(ImageNet)}

// ImageNet channel statistics on the unit range (torchvision's), and their
// BT.601-weighted combination for one-channel (luma) images.
var (
	imagenetMean     = [3]float64{0.485, 0.456, 0.406}
	imagenetStd      = [3]float64{0.229, 0.224, 0.225}
	imagenetLumaMean = lumaR*imagenetMean[0] + lumaG*imagenetMean[1] + lumaB*imagenetMean[2]
	imagenetLumaStd  = lumaR*imagenetStd[0] + lumaG*imagenetStd[1] + lumaB*imagenetStd[2]
)

// Normalize maps unit-range values in place. pix holds whole images of
// `channels` planes of `plane` values each (N×C×H×W with plane = H·W).
func Normalize(pix []float32, channels, plane int, mode Normalization) error {
	switch mode {
	case Unit:
		return nil
	case Symmetric:
		for i, v := range pix {
			pix[i] = 2*v - 1
		}
		return nil
	case ImageNet:
		mean, std := imagenetMean[:], imagenetStd[:]
		if channels == 1 {
			mean, std = []float64{imagenetLumaMean}, []float64{imagenetLumaStd}
		}
		if len(mean) != channels {
			return fmt.Errorf("imagenet normalisation needs 1 or 3 channels, not %d", channels)
		}
		for i := 0; i < len(pix); i += plane {
			c := (i / plane) % channels
			m, s := float32(mean[c]), float32(1/std[c])
			for j := i; j < i+plane; j++ {
				pix[j] = (pix[j] - m) * s
			}
		}
		return nil
	}
	return fmt.Errorf("unknown normalisation %q (want one of %v)", mode, Normalizations)
}
